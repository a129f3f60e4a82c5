// Differential test of the resource handle rules against definitions.py:
// scripted scenarios (resource.new / rep / drop and sync calls between
// three instances passing own and borrow handles) run both here and in
// definitions.py's real canon_lift / canon_lower / Store machinery; the
// traces (handle indices, reps, destructor calls, table dumps, the first
// trap) must be identical. Skipped without python3 or the specification.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "component/abi/handles.h"

#ifndef WHIRL_COMPONENT_MODEL_DIR
#define WHIRL_COMPONENT_MODEL_DIR ""
#endif

namespace whirl::component::abi {
namespace {

// ---- scenarios ----

struct Operand {
  int ref = -1;      // >= 0: the ref-th value of the body (args, then results of ops)
  uint32_t lit = 0;  // else this literal
};
Operand V(int k) { return {k, 0}; }
Operand L(uint32_t n) { return {-1, n}; }

struct Body;
struct Op {
  enum Kind { New, Rep, Drop, Call, Dump } kind = New;
  char rt = 'R';
  Operand x;
  // Call
  char target = 'B';
  std::vector<std::pair<bool, char>> params;  // (own?, type)
  std::vector<Operand> args;
  std::vector<char> results;  // own types
  std::shared_ptr<Body> body;
};
struct Body {
  Body() = default;
  Body(std::vector<Op> ops, std::vector<Operand> ret = {}) : ops(std::move(ops)), ret(std::move(ret)) {}
  std::vector<Op> ops;
  std::vector<Operand> ret;
};

Op op(Op::Kind k, char rt = 'R', Operand x = {}) {
  Op o;
  o.kind = k;
  o.rt = rt;
  o.x = x;
  return o;
}
Op op_new(char rt, Operand rep) { return op(Op::New, rt, rep); }
Op op_rep(char rt, Operand h) { return op(Op::Rep, rt, h); }
Op op_drop(char rt, Operand h) { return op(Op::Drop, rt, h); }
Op op_dump() { return op(Op::Dump); }
Op op_call(char target, std::vector<std::pair<bool, char>> params, std::vector<Operand> args, std::vector<char> results,
           Body body) {
  Op o = op(Op::Call);
  o.target = target;
  o.params = std::move(params);
  o.args = std::move(args);
  o.results = std::move(results);
  o.body = std::make_shared<Body>(std::move(body));
  return o;
}

std::string py(const Operand& o) { return o.ref >= 0 ? "('v', " + std::to_string(o.ref) + ")" : std::to_string(o.lit); }
std::string py(const Body& b);
std::string py(const Op& o) {
  std::string rt = std::string("'") + o.rt + "'";
  switch (o.kind) {
    case Op::New: return "('new', " + rt + ", " + py(o.x) + ")";
    case Op::Rep: return "('rep', " + rt + ", " + py(o.x) + ")";
    case Op::Drop: return "('drop', " + rt + ", " + py(o.x) + ")";
    case Op::Dump: return "('dump',)";
    case Op::Call: {
      std::string s = std::string("('call', '") + o.target + "', [";
      for (auto& [own, t] : o.params) s += std::string("('") + (own ? "own" : "borrow") + "', '" + t + "'), ";
      s += "], [";
      for (auto& a : o.args) s += py(a) + ", ";
      s += "], [";
      for (char t : o.results) s += std::string("'") + t + "', ";
      return s + "], " + py(*o.body) + ")";
    }
  }
  return "";
}
std::string py(const Body& b) {
  std::string s = "([";
  for (auto& o : b.ops) s += py(o) + ", ";
  s += "], [";
  for (auto& r : b.ret) s += py(r) + ", ";
  return s + "])";
}

// ---- our side ----

struct Trapped {};

class Runner {
 public:
  explicit Runner(std::vector<std::string>& out) : out_(out) {
    for (char t : {'R', 'S', 'T'}) statics_[t] = ResourceType{uint32_t(t), false};
    rts_['R'] = &types_.add('R', &a_, dtor('R'), "R");
    rts_['S'] = &types_.add('S', &b_, dtor('S'), "S");
    rts_['T'] = &types_.add('T', &a_, {}, "T");
  }

  // The host calls A's export `() -> ()` whose body is `top`.
  void run(const Body& top) {
    SyncCall call(nullptr, &a_, types_);
    check(call.enter());
    run_body(a_, top, {});
    check(call.return_());
    call.finish();
    dump();
  }

 private:
  Destructor dtor(char name) {
    return [this, name](uint32_t rep, InstanceState&) -> Expected<void, Trap> {
      out_.push_back(std::string("dtor ") + name + " " + std::to_string(rep));
      return {};
    };
  }
  template <class T>
  T check(Expected<T, Trap> r) {
    if (!r) throw Trapped{};
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }
  InstanceState& inst(char c) { return c == 'A' ? a_ : c == 'B' ? b_ : c_; }
  static uint32_t val(const std::vector<uint32_t>& vals, const Operand& o) {
    if (o.ref < 0) return o.lit;
    return size_t(o.ref) < vals.size() ? vals[o.ref] : 0;
  }

  std::vector<uint32_t> run_body(InstanceState& self, const Body& body, std::vector<uint32_t> vals) {
    for (const Op& o : body.ops) {
      switch (o.kind) {
        case Op::New: {
          uint32_t i = check(resource_new(self, *rts_[o.rt], val(vals, o.x)));
          vals.push_back(i);
          out_.push_back("new " + std::to_string(i));
          break;
        }
        case Op::Rep: {
          uint32_t r = check(resource_rep(self, *rts_[o.rt], val(vals, o.x)));
          vals.push_back(r);
          out_.push_back("rep " + std::to_string(r));
          break;
        }
        case Op::Drop:
          check(resource_drop(self, *rts_[o.rt], val(vals, o.x)));
          out_.push_back("drop");
          break;
        case Op::Dump: dump(); break;
        case Op::Call: {
          InstanceState& callee = inst(o.target);
          SyncCall call(&self, &callee, types_);
          check(call.enter());
          std::vector<uint32_t> reps, lowered;
          for (size_t k = 0; k < o.params.size(); ++k) {
            auto [own, t] = o.params[k];
            uint32_t i = val(vals, o.args[k]);
            reps.push_back(check(own ? call.caller_handles()->lift_own(i, statics_[t])
                                     : call.caller_handles()->lift_borrow(i, statics_[t])));
          }
          for (size_t k = 0; k < o.params.size(); ++k) {
            auto [own, t] = o.params[k];
            lowered.push_back(check(own ? call.callee_handles()->lower_own(reps[k], statics_[t])
                                        : call.callee_handles()->lower_borrow(reps[k], statics_[t])));
          }
          std::string line = std::string("enter ") + o.target;
          for (uint32_t v : lowered) line += " " + std::to_string(v);
          out_.push_back(line);
          std::vector<uint32_t> rets = run_body(callee, *o.body, lowered), rrep;
          for (size_t k = 0; k < o.results.size(); ++k)
            rrep.push_back(check(call.callee_handles()->lift_own(rets[k], statics_[o.results[k]])));
          check(call.return_());
          line = "ret";
          for (size_t k = 0; k < o.results.size(); ++k) {
            uint32_t i = check(call.caller_handles()->lower_own(rrep[k], statics_[o.results[k]]));
            vals.push_back(i);
            line += " " + std::to_string(i);
          }
          call.finish();
          out_.push_back(line);
          break;
        }
      }
    }
    std::vector<uint32_t> rets;
    for (auto& r : body.ret) rets.push_back(val(vals, r));
    return rets;
  }

  void dump() {
    std::string line = "dump";
    for (char c : {'A', 'B', 'C'}) {
      const auto& t = inst(c).handles;
      line += std::string(" ") + c + ":";
      for (uint32_t i = 0; i < t.length(); ++i) {
        const auto& e = t.slot(i);
        if (!e) {
          line += "-,";
          continue;
        }
        const ResourceHandle& h = e->resource;
        line += h.rt->name + std::to_string(h.rep) + (h.own ? "o" : "b") + std::to_string(h.num_lends) + ",";
      }
      line += "free";
      for (uint32_t f : t.free_list()) line += "," + std::to_string(f);
    }
    out_.push_back(line);
  }

  std::vector<std::string>& out_;
  InstanceState root_{nullptr, "root"};
  InstanceState a_{&root_, "A"}, b_{&root_, "B"}, c_{&root_, "C"};
  ResourceTypes types_;
  std::map<char, const RuntimeResourceType*> rts_;
  std::map<char, ResourceType> statics_;
};

std::vector<std::string> run_ours(const Body& top) {
  std::vector<std::string> out;
  try {
    Runner(out).run(top);
  } catch (const Trapped&) {
    out.push_back("trap");
  }
  return out;
}

// ---- definitions.py's side ----

// argv[1]: the canonical-abi directory. Each scenario runs in a forked child
// that exits at the first trap (a trap in a callee's thread would otherwise
// leave its caller waiting forever); lines are "<scenario> <event>".
constexpr const char* kDriver = R"PY(
import os, sys
sys.path.insert(0, sys.argv[1])
import definitions
from definitions import *
definitions.DETERMINISTIC_PROFILE = True
definitions.MAX_FLAT_RESULTS = 16  # several own results, flat (as run_tests.py's test_handles)

SID = None
def emit(s):
  print(f'{SID} {s}', flush=True)

orig_cont_new = definitions.cont_new
def cont_new(f):
  def g(c):
    try:
      return f(c)
    except Trap:
      emit('trap')
      os._exit(0)
    except BaseException as e:
      emit('error ' + repr(e))
      os._exit(1)
  return orig_cont_new(g)
definitions.cont_new = cont_new

def run(top):
  store = Store()
  root = ComponentInstance(store)
  insts = {n: ComponentInstance(store, root) for n in 'ABC'}
  def dtor(name):
    def d(args):
      emit(f'dtor {name} {args[0]}')
      return []
    return d
  rts = {'R': ResourceType(insts['A'], dtor('R')), 'S': ResourceType(insts['B'], dtor('S')), 'T': ResourceType(insts['A'])}
  names = {id(v): k for k, v in rts.items()}
  opts = CanonicalOptions()

  def dump():
    line = 'dump'
    for n in 'ABC':
      t = insts[n].handles
      line += f' {n}:'
      for h in t.array:
        line += '-,' if h is None else f"{names[id(h.rt)]}{h.rep}{'o' if h.own else 'b'}{h.num_lends},"
      line += 'free' + ''.join(f',{f}' for f in t.free)
    emit(line)

  def run_body(me, body, vals):
    ops, ret = body
    def val(o):
      if isinstance(o, tuple):
        return vals[o[1]] if o[1] < len(vals) else 0
      return o
    for op in ops:
      k = op[0]
      if k == 'new':
        [i] = canon_resource_new(rts[op[1]], val(op[2]))
        vals.append(i)
        emit(f'new {i}')
      elif k == 'rep':
        [r] = canon_resource_rep(rts[op[1]], val(op[2]))
        vals.append(r)
        emit(f'rep {r}')
      elif k == 'drop':
        [] = canon_resource_drop(rts[op[1]], val(op[2]))
        emit('drop')
      elif k == 'dump':
        dump()
      else:
        _, target, params, args, results, cbody = op
        ft = FuncType([OwnType(rts[t]) if p == 'own' else BorrowType(rts[t]) for p, t in params],
                      [OwnType(rts[t]) for t in results])
        def core(flat_args, target=target, cbody=cbody):
          emit(' '.join(['enter', target] + [str(a) for a in flat_args]))
          return run_body(target, cbody, list(flat_args))
        callee = store.lift(core, ft, opts, insts[target])
        res = store.lower(callee, ft, opts, insts[me])([val(a) for a in args])
        vals.extend(res)
        emit(' '.join(['ret'] + [str(r) for r in res]))
    return [val(r) for r in ret]

  def top_core(args):
    run_body('A', top, [])
    return []
  f = store.lift(top_core, FuncType([], []), opts, insts['A'])
  try:
    store.invoke(f, lambda: [], lambda r: None)
  except Trap:
    emit('trap')
    return
  dump()

for SID, top in enumerate(SCENARIOS):
  sys.stdout.flush()
  pid = os.fork()
  if pid == 0:
    try:
      run(top)
    except Trap:
      emit('trap')
    except BaseException as e:
      emit('error ' + repr(e))
      sys.stdout.flush()
      os._exit(1)
    sys.stdout.flush()
    os._exit(0)
  _, status = os.waitpid(pid, 0)
  if status != 0:
    print(f'{SID} error exit status {status}', flush=True)
)PY";

std::map<int, std::vector<std::string>> run_definitions_py(const std::filesystem::path& dir,
                                                          const std::vector<Body>& scenarios, std::string& raw) {
  std::string script = "SCENARIOS = [\n";
  for (const Body& b : scenarios) script += "  " + py(b) + ",\n";
  script += "]\n";
  script += kDriver;
  auto path = std::filesystem::temp_directory_path() / ("whirl_handles_ref_" + std::to_string(getpid()) + ".py");
  {
    std::ofstream f(path);
    f << script;
  }
  std::string cmd = "python3 " + path.string() + " " + dir.string() + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::map<int, std::vector<std::string>> out;
  if (!pipe) return out;
  char buf[4096];
  while (size_t k = fread(buf, 1, sizeof buf, pipe)) raw.append(buf, k);
  pclose(pipe);
  std::filesystem::remove(path);
  std::istringstream lines(raw);
  std::string line;
  while (std::getline(lines, line)) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    out[std::atoi(line.substr(0, sp).c_str())].push_back(line.substr(sp + 1));
  }
  return out;
}

// ---- the scenarios ----

std::vector<Body> written_scenarios() {
  std::vector<Body> s;
  // Allocation and reuse order; rep; drop with and without a destructor.
  s.push_back({{op_new('R', L(10)), op_new('R', L(11)), op_new('T', L(12)), op_drop('R', V(0)), op_drop('T', V(2)),
                op_dump(), op_new('R', L(13)), op_new('R', L(14)), op_new('R', L(15)), op_rep('R', V(3)), op_dump()}});
  // An own moves to B and comes back.
  s.push_back({{op_new('R', L(42)), op_call('B', {{true, 'R'}}, {V(0)}, {'R'}, {{op_dump()}, {V(0)}}), op_dump(),
                op_drop('R', V(1))}});
  // A borrow is lent to B, which drops it in time.
  s.push_back({{op_new('R', L(42)),
                op_call('B', {{false, 'R'}}, {V(0)}, {}, {{op_rep('R', V(0)), op_dump(), op_drop('R', V(0))}, {}}),
                op_dump(), op_drop('R', V(0))}});
  // B keeps the borrow: the return traps.
  s.push_back({{op_new('R', L(42)), op_call('B', {{false, 'R'}}, {V(0)}, {}, {{op_rep('R', V(0))}, {}})}});
  // B gets a borrow of its own resource S: the rep itself.
  s.push_back({{op_call('B', {}, {}, {'S'}, {{op_new('S', L(7))}, {V(0)}}),
                op_call('B', {{false, 'S'}, {true, 'S'}}, {V(0), V(0)}, {}, {{}, {}})}});
  // Borrow then own of one handle: the own traps on the lend.
  s.push_back({{op_new('R', L(1)), op_call('B', {{false, 'R'}, {true, 'R'}}, {V(0), V(0)}, {}, {{}, {}})}});
  // Own then borrow of one handle: the borrow finds the slot free.
  s.push_back({{op_new('R', L(1)), op_call('B', {{true, 'R'}, {false, 'R'}}, {V(0), V(0)}, {}, {{}, {}})}});
  // B drops an own R while A is on the stack: the destructor would reenter A.
  s.push_back({{op_new('R', L(3)), op_call('B', {{true, 'R'}}, {V(0)}, {}, {{op_drop('R', V(0))}, {}})}});
  // Same with T, which has no destructor.
  s.push_back({{op_new('T', L(3)), op_call('B', {{true, 'T'}}, {V(0)}, {}, {{op_drop('T', V(0))}, {}})}});
  // A drops an own S (implemented by B, not on the stack): B's destructor.
  s.push_back({{op_call('B', {}, {}, {'S'}, {{op_new('S', L(8))}, {V(0)}}), op_drop('S', V(0)), op_dump()}});
  // B lends its borrow on to C and drops it afterwards.
  s.push_back({{op_new('R', L(5)),
                op_call('B', {{false, 'R'}}, {V(0)}, {},
                        {{op_call('C', {{false, 'R'}}, {V(0)}, {}, {{op_dump(), op_drop('R', V(0))}, {}}),
                          op_drop('R', V(0))},
                         {}})}});
  // B drops the borrow it lent to C during the call: traps.
  s.push_back({{op_new('R', L(5)),
                op_call('B', {{false, 'R'}}, {V(0)}, {},
                        {{op_call('C', {{false, 'R'}}, {V(0)}, {}, {{op_drop('R', V(0))}, {}})}, {}})}});
  // B passes its borrow on as an own: traps.
  s.push_back({{op_new('R', L(5)),
                op_call('B', {{false, 'R'}}, {V(0)}, {}, {{op_call('C', {{true, 'R'}}, {V(0)}, {}, {{}, {}})}, {}})}});
  // Wrong type, slot 0, out of range.
  s.push_back({{op_new('R', L(1)), op_rep('T', V(0))}});
  s.push_back({{op_rep('R', L(0))}});
  s.push_back({{op_new('R', L(1)), op_drop('R', L(2))}});
  // B calls back into A: reentrance.
  s.push_back({{op_call('B', {}, {}, {}, {{op_call('A', {}, {}, {}, {{}, {}})}, {}})}});
  return s;
}

// Random scenarios that mostly follow the rules (so that they get far) and
// sometimes break one: the generator remembers which values are live
// handles of which type, and uses them with the right type most of the time.
struct Gen {
  struct Known {
    char type = 0;  // 0: not a handle
    bool own = false;
    bool live = false;
  };
  std::mt19937 rng;
  int pick(int n) { return int(rng() % uint32_t(n)); }
  char type() { return "RST"[pick(3)]; }
  static char impl(char t) { return t == 'S' ? 'B' : 'A'; }

  // A live handle (own only: `own_only`), or anything.
  std::pair<Operand, char> handle(const std::vector<Known>& vals, bool own_only, char want = 0) {
    std::vector<int> live;
    for (size_t k = 0; k < vals.size(); ++k)
      if (vals[k].live && (!own_only || vals[k].own) && (!want || vals[k].type == want)) live.push_back(int(k));
    if (!live.empty() && pick(20) < 19) {
      int k = live[pick(int(live.size()))];
      return {V(k), pick(12) ? vals[k].type : type()};
    }
    if (!vals.empty() && pick(2)) return {V(pick(int(vals.size()))), want ? want : type()};
    return {L(uint32_t(pick(4))), want ? want : type()};
  }

  static bool any_live(const std::vector<Known>& vals) {
    for (auto& v : vals)
      if (v.live) return true;
    return false;
  }

  Body body(std::string stack, int depth, std::vector<Known> vals, size_t nresults, std::vector<char>* result_types) {
    Body b;
    auto kill = [&](const Operand& o) {
      if (o.ref >= 0) vals[o.ref].live = false;
    };
    int n = 1 + pick(6);
    for (int k = 0; k < n; ++k) {
      int w = pick(20);
      if (w >= 5 && w < 11 && !any_live(vals) && pick(5)) w = 0;  // nothing to use yet: make one
      if (w < 5) {
        char t = type();
        b.ops.push_back(op_new(t, L(uint32_t(100 + pick(100)))));
        vals.push_back({t, true, true});
      } else if (w < 8) {
        auto [o, t] = handle(vals, false);
        b.ops.push_back(op_rep(t, o));
        vals.push_back({});
      } else if (w < 11) {
        auto [o, t] = handle(vals, false);
        b.ops.push_back(op_drop(t, o));
        kill(o);
      } else if (w < 12) {
        b.ops.push_back(op_dump());
      } else if (depth < 2) {
        // Mostly an instance not on the stack (else: a reentrance trap).
        std::string free_insts;
        for (char c : std::string("ABC"))
          if (stack.find(c) == std::string::npos) free_insts += c;
        char target = free_insts.empty() || pick(12) == 0 ? "ABC"[pick(3)] : free_insts[pick(int(free_insts.size()))];
        std::vector<std::pair<bool, char>> params;
        std::vector<Operand> args;
        std::vector<Known> callee_vals;
        for (int p = any_live(vals) || !pick(4) ? pick(4) : 0; p > 0; --p) {
          bool own = pick(2) == 0;
          auto [o, t] = handle(vals, own);
          params.push_back({own, t});
          args.push_back(o);
          if (own) kill(o);
          // A borrow of the callee's own resource arrives as the rep.
          callee_vals.push_back({own || impl(t) != target ? t : char(0), own, own || impl(t) != target});
        }
        std::vector<char> results;
        Body callee = body(stack + target, depth + 1, callee_vals, size_t(pick(3)), &results);
        for (char t : results) vals.push_back({t, true, true});
        b.ops.push_back(op_call(target, std::move(params), std::move(args), results, std::move(callee)));
      }
    }
    if (depth > 0) {
      // Borrows must go before the return, most of the time they do.
      for (size_t k = 0; k < vals.size(); ++k)
        if (vals[k].live && !vals[k].own && pick(10) < 9) {
          b.ops.push_back(op_drop(vals[k].type, V(int(k))));
          vals[k].live = false;
        }
      for (size_t r = 0; r < nresults; ++r) {
        auto [o, t] = handle(vals, true);
        result_types->push_back(t);
        b.ret.push_back(o);
        kill(o);
      }
    }
    return b;
  }
};

TEST(HandlesReference, MatchesDefinitionsPy) {
  std::filesystem::path dir = std::filesystem::path(WHIRL_COMPONENT_MODEL_DIR) / "design/mvp/canonical-abi";
  if (!std::filesystem::exists(dir / "definitions.py")) GTEST_SKIP() << "no definitions.py at " << dir;
  if (std::system("python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1"))
    GTEST_SKIP() << "python3 (>= 3.10) not found";

  std::vector<Body> scenarios = written_scenarios();
  size_t written = scenarios.size();
  Gen gen{std::mt19937(20240601)};
  for (int k = 0; k < 400; ++k) scenarios.push_back(gen.body("A", 0, {}, 0, nullptr));

  std::string raw;
  auto theirs = run_definitions_py(dir, scenarios, raw);
  ASSERT_FALSE(theirs.empty()) << raw;
  size_t traps = 0, calls = 0;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    auto ours = run_ours(scenarios[i]);
    EXPECT_EQ(ours, theirs[int(i)]) << "scenario " << i << (i < written ? " (written)" : " (random)") << ": "
                                    << py(scenarios[i]);
    traps += !ours.empty() && ours.back() == "trap";
    for (auto& l : ours) calls += l.rfind("enter", 0) == 0;
  }
  // The random scenarios must exercise both outcomes and calls.
  EXPECT_GT(traps, scenarios.size() / 5);
  EXPECT_LT(traps, scenarios.size() * 4 / 5);
  EXPECT_GT(calls, scenarios.size() / 4);
  RecordProperty("scenarios", int(scenarios.size()));
}

}  // namespace
}  // namespace whirl::component::abi
