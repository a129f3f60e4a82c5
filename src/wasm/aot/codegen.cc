#include "wasm/aot/codegen.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Utils/Mem2Reg.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "platform/parallel.h"
#include "wasm/runtime/runtime.h"

#include "wasm/aot/translate.h"

namespace whirl::wasm::aot {
namespace {

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string host_features() {
  llvm::StringMap<bool> f;
  std::string out;
  if (!llvm::sys::getHostCPUFeatures(f)) return out;
  std::vector<std::string> on;
  for (auto& kv : f) on.push_back((kv.second ? "+" : "-") + kv.first().str());
  std::sort(on.begin(), on.end());
  for (auto& s : on) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Modules of at least this many instructions compile as a baseline.
constexpr size_t kLargeModuleInstrs = 1'000'000;
constexpr size_t kPartInstrs = 250'000;

}  // namespace

const std::string& host_cpu_key() {
  static const std::string key = llvm::sys::getHostCPUName().str() + ";" + host_features();
  return key;
}

namespace {

// One part: translated, optimized and emitted in a context of its own.
Expected<std::vector<uint8_t>> compile_part(const Module& m, uint32_t first, uint32_t end, bool large) {
  llvm::LLVMContext ctx;
  auto mod = translate_module(m, ctx, first, end);
  if (!mod) return unexpected(std::move(mod).error());
  std::string triple = llvm::sys::getProcessTriple();
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) return make_error("aot: no LLVM target for " + triple + ": " + err);
  llvm::TargetOptions opts;
  // A large module (a language runtime) gets the cheapest pipelines: O2 on
  // the 12 MB Spin JS component took 14 minutes (bench/RESULTS.md).
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), host_features(), opts, llvm::Reloc::PIC_, llvm::CodeModel::Small,
      large ? llvm::CodeGenOpt::None : llvm::CodeGenOpt::Default));
  if (!tm) return make_error("aot: cannot create an LLVM target machine for " + triple);
  (*mod)->setTargetTriple(triple);
  (*mod)->setDataLayout(tm->createDataLayout());
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    if (large) {
      // A baseline: locals to registers and the CFG tidied, then the fast
      // instruction selector and register allocator (CodeGenOpt::None).
      llvm::FunctionPassManager fpm;
      fpm.addPass(llvm::PromotePass());
      fpm.addPass(llvm::SimplifyCFGPass());
      llvm::ModulePassManager mpm;
      mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
      mpm.run(**mod, mam);
    } else {
      llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
      mpm.run(**mod, mam);
    }
  }
  llvm::SmallVector<char, 0> buf;
  llvm::raw_svector_ostream os(buf);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile))
    return make_error("aot: LLVM cannot emit an object file for " + triple);
  pm.run(**mod);
  return std::vector<uint8_t>(buf.begin(), buf.end());
}

}  // namespace

Expected<ObjectCode> compile_object(const Module& m, const std::function<bool(size_t, size_t)>& progress) {
  if (std::string what = uncompiled_feature(m); !what.empty()) return make_error(what);
  init_llvm();
  // Parts of about equal size (instructions), contiguous (callers and
  // callees are often near each other: their calls stay direct).
  const size_t n = m.functions.size();
  size_t total = 0;
  for (const Function& f : m.functions) total += f.body.size();
  const bool large = total >= kLargeModuleInstrs;
  const unsigned threads = platform::loader_threads(total, 20000);
  // Several parts per thread (they differ in how long they take), and
  // parts of at most about kPartInstrs for a large module, whose progress
  // is shown part by part.
  const size_t parts_wanted = std::max<size_t>(threads > 1 ? threads * 4 : 1, total / kPartInstrs);
  std::vector<std::pair<uint32_t, uint32_t>> parts;
  {
    size_t per = total / parts_wanted + 1, acc = 0;
    uint32_t first = 0;
    for (uint32_t i = 0; i < n; ++i) {
      acc += m.functions[i].body.size();
      if (acc >= per || i + 1 == n) {
        parts.emplace_back(first, i + 1);
        first = i + 1;
        acc = 0;
      }
    }
    if (parts.empty()) parts.emplace_back(0, 0);
  }
  std::vector<Expected<std::vector<uint8_t>>> out(parts.size(), std::vector<uint8_t>{});
  std::mutex progress_mu;
  size_t done = 0;
  std::atomic<bool> cancelled{false};
  platform::parallel_for(parts.size(), 1, threads, [&](size_t b, size_t e, unsigned) {
    for (size_t k = b; k < e; ++k) {
      if (cancelled.load(std::memory_order_relaxed)) {
        out[k] = make_error("the compile was cancelled");
        continue;
      }
      out[k] = compile_part(m, parts[k].first, parts[k].second, large);
      if (!progress) continue;
      std::lock_guard lock(progress_mu);
      if (!progress(++done, parts.size())) cancelled = true;
    }
  });
  if (cancelled) return make_error("the compile was cancelled");
  ObjectCode code;
  for (auto& o : out) {
    if (!o) return unexpected(std::move(o).error());
    uint64_t size = o->size();
    const auto* p = reinterpret_cast<const uint8_t*>(&size);
    code.bytes.insert(code.bytes.end(), p, p + 8);
    code.bytes.insert(code.bytes.end(), o->begin(), o->end());
  }
  return code;
}

Expected<std::vector<std::span<const uint8_t>>> object_parts(std::span<const uint8_t> code) {
  std::vector<std::span<const uint8_t>> parts;
  size_t at = 0;
  while (at < code.size()) {
    uint64_t size;
    if (code.size() - at < 8) return make_error("damaged compiled code (part header)");
    std::memcpy(&size, code.data() + at, 8);
    at += 8;
    if (size > code.size() - at) return make_error("damaged compiled code (part size)");
    parts.push_back(code.subspan(at, size));
    at += size;
  }
  return parts;
}

}  // namespace whirl::wasm::aot
