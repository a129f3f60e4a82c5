// A Redis trigger guest in the component text format: it exports
// fermyon:spin/inbound-redis#handle-message and, through Spin 1's
// fermyon:spin/redis (address per call), records every payload it is
// given at the address baked into it: SADD handled <payload>, then
// INCR count. A payload starting with `t` traps first; one starting with
// `f` is recorded, then answered with error (result err(error)).
#pragma once

#include <string>

namespace whirl::spin::redis::testing {

inline std::string trigger_guest(const std::string& address) {
  std::string len = std::to_string(address.size());
  std::string escaped;
  for (char c : address) escaped += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return R"((component
  (import "fermyon:spin/redis-types" (instance $types
    (type $e (enum "success" "error"))
    (export "error" (type $error (eq $e)))))
  (alias export $types "error" (type $error))
  (import "fermyon:spin/redis" (instance $redis
    (export "error" (type $err (eq $error)))
    (export "incr" (func (param "address" string) (param "key" string) (result (result s64 (error $err)))))
    (export "sadd" (func (param "address" string) (param "key" string) (param "values" (list string))
      (result (result s64 (error $err)))))))

  (core module $Libc
    (memory (export "mem") 4)
    (global $bump (mut i32) (i32.const 65536))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536))) (then unreachable))
      (local.get $p)))
  (core instance $libc (instantiate $Libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $incr (canon lower (func $redis "incr") (memory $mem)))
  (core func $sadd (canon lower (func $redis "sadd") (memory $mem)))

  (core module $Main
    (import "libc" "mem" (memory 1))
    (import "r" "incr" (func $incr (param i32 i32 i32 i32 i32)))
    (import "r" "sadd" (func $sadd (param i32 i32 i32 i32 i32 i32 i32)))
    (data (i32.const 900) "handled")
    (data (i32.const 910) "count")
    (data (i32.const 1024) ")" + escaped + R"(")
    ;; err(error) at 48: case 1, enum case 1
    (func $fail (result i32)
      (i32.store8 (i32.const 48) (i32.const 1))
      (i32.store8 (i32.const 49) (i32.const 1))
      (i32.const 48))
    (func (export "handle") (param $p i32) (param $n i32) (result i32) (local $c i32)
      (if (local.get $n) (then (local.set $c (i32.load8_u (local.get $p)))))
      (if (i32.eq (local.get $c) (i32.const 116)) (then unreachable))  ;; t
      (i32.store (i32.const 960) (local.get $p))
      (i32.store (i32.const 964) (local.get $n))
      (call $sadd (i32.const 1024) (i32.const )" + len + R"() (i32.const 900) (i32.const 7) (i32.const 960) (i32.const 1)
                  (i32.const 32))
      (if (i32.load8_u (i32.const 32)) (then (return (call $fail))))
      (call $incr (i32.const 1024) (i32.const )" + len + R"() (i32.const 910) (i32.const 5) (i32.const 32))
      (if (i32.load8_u (i32.const 32)) (then (return (call $fail))))
      (if (i32.eq (local.get $c) (i32.const 102)) (then (return (call $fail))))  ;; f
      (i32.store8 (i32.const 48) (i32.const 0))
      (i32.const 48)))
  (core instance $main (instantiate $Main
    (with "libc" (instance $libc))
    (with "r" (instance (export "incr" (func $incr)) (export "sadd" (func $sadd))))))
  (func $handle (param "message" (list u8)) (result (result (error $error)))
    (canon lift (core func $main "handle") (memory $mem) (realloc $realloc)))
  (instance $inbound
    (export "error" (type $error))
    (export "handle-message" (func $handle)))
  (export "fermyon:spin/inbound-redis" (instance $inbound))
))";
}

}  // namespace whirl::spin::redis::testing
