#include "spin/http/executors.h"

#include "component/runtime/component.h"
#include "spin/http/wagi_executor.h"
#include "spin/http/wasi_http_executor.h"

namespace whirl::spin::http {

void set_app_loaders(AppLoadOptions& o) {
  o.loader = [](std::span<const uint8_t> bytes, const platform::Digest* digest) {
    wasm::CompileOptions co;
    if (digest) co.source_digest = *digest;
    return wasm::load_module(bytes, nullptr, co);
  };
  o.component_loader = [](std::span<const uint8_t> bytes, const platform::Digest*) {
    return component::runtime::load_component(bytes);
  };
}

void install_executors(HttpTrigger& trigger, std::shared_ptr<const AppRuntime> runtime) {
  trigger.set_executor(HttpExecutorConfig::Kind::Wagi, std::make_shared<WagiExecutor>());
  trigger.set_executor(HttpExecutorConfig::Kind::Http, std::make_shared<WasiHttpExecutor>(std::move(runtime)));
}

}  // namespace whirl::spin::http
