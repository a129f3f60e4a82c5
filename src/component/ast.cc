// Names of the AST's enumerations, for messages.
#include "component/ast.h"

namespace whirl::component {

const char* sort_name(Sort s) {
  static const char* const kNames[] = {"core func", "core table", "core memory", "core global", "core tag",
                                       "core type", "core module", "core instance", "func", "value",
                                       "type", "component", "instance"};
  size_t i = static_cast<size_t>(s);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "?";
}

const char* canon_name(CanonKind k) {
  static const char* const kNames[] = {
      "lift", "lower", "resource.new", "resource.drop", "resource.rep", "backpressure.inc", "backpressure.dec",
      "task.return", "task.cancel", "context.get", "context.set", "subtask.cancel", "subtask.drop",
      "stream.new", "stream.read", "stream.write", "stream.cancel-read", "stream.cancel-write",
      "stream.drop-readable", "stream.drop-writable", "future.new", "future.read", "future.write",
      "future.cancel-read", "future.cancel-write", "future.drop-readable", "future.drop-writable",
      "error-context.new", "error-context.debug-message", "error-context.drop", "waitable-set.new",
      "waitable-set.wait", "waitable-set.poll", "waitable-set.drop", "waitable.join", "thread.index",
      "thread.new-indirect", "thread.resume-later", "thread.suspend", "thread.yield",
      "thread.suspend-then-resume", "thread.yield-then-resume", "thread.suspend-then-promote",
      "thread.yield-then-promote", "thread.spawn-ref", "thread.spawn-indirect", "thread.available-parallelism"};
  size_t i = static_cast<size_t>(k);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "?";
}

}  // namespace whirl::component
