// The one place that says how an app's components are loaded and run:
// `whirl up` and the containerd shim both set up their apps with these.
#pragma once

#include "spin/app/app.h"
#include "spin/http/trigger.h"
#include "spin/runtime/app_runtime.h"

namespace whirl::spin::http {

// Loaders for both kinds of file: core modules (WAGI) and components
// (wasi:http), told apart by the binary header.
void set_app_loaders(AppLoadOptions& options);

// One executor per kind: WAGI for core modules, wasi:http for components
// (instantiated with the app's factors, `runtime`).
void install_executors(HttpTrigger& trigger, std::shared_ptr<const AppRuntime> runtime);

}  // namespace whirl::spin::http
