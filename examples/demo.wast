;; A small tour of what the engine runs: `make demo` executes this script.
(module $math
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (memory (export "mem") 1)
  (data (i32.const 0) "hello")
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))

(assert_return (invoke "fac" (i64.const 20)) (i64.const 2432902008176640000))
(assert_return (invoke "div" (i32.const 7) (i32.const 2)) (i32.const 3))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "load8" (i32.const 1)) (i32.const 101))
(assert_trap (invoke "load8" (i32.const 65536)) "out of bounds memory access")

(register "math" $math)
(module
  (import "math" "fac" (func $fac (param i64) (result i64)))
  (func (export "fac5") (result i64) (call $fac (i64.const 5))))
(assert_return (invoke "fac5") (i64.const 120))
