#include "spin/http/executors.h"

#include "component/runtime/component.h"
#include "spin/http/wagi_executor.h"
#include "spin/http/wasi_http_executor.h"

namespace whirl::spin::http {

void set_app_loaders(AppLoadOptions& o) {
  o.loader = [](const platform::FileBytes& file, const platform::Digest* digest) {
    wasm::CompileOptions co;
    if (digest) co.source_digest = *digest;
    return wasm::load_module(file.bytes, file.owner, co);
  };
  o.component_loader = [](const platform::FileBytes& file, const platform::Digest*) {
    return component::runtime::load_component(file.bytes, file.owner);
  };
}

void install_executors(HttpTrigger& trigger, std::shared_ptr<const AppRuntime> runtime) {
  trigger.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<WagiExecutor>());
  trigger.set_executor(HttpExecutorConfig::Kind::Http, std::make_shared<WasiHttpExecutor>(std::move(runtime)));
}

}  // namespace whirl::spin::http
