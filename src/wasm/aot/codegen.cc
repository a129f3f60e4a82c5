#include "wasm/aot/codegen.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>

#include <mutex>

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

}  // namespace

const std::string& host_cpu_key() {
  static const std::string key = llvm::sys::getHostCPUName().str() + ";" + host_features();
  return key;
}

Expected<ObjectCode> compile_object(const Module& m) {
  init_llvm();
  llvm::LLVMContext ctx;
  auto mod = translate_module(m, ctx);
  if (!mod) return unexpected(std::move(mod).error());
  std::string triple = llvm::sys::getProcessTriple();
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) return make_error("aot: no LLVM target for " + triple + ": " + err);
  llvm::TargetOptions opts;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), host_features(), opts, llvm::Reloc::PIC_, llvm::CodeModel::Small,
      llvm::CodeGenOpt::Default));
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
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(**mod, mam);
  }

  llvm::SmallVector<char, 0> buf;
  llvm::raw_svector_ostream os(buf);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile))
    return make_error("aot: LLVM cannot emit an object file for " + triple);
  pm.run(**mod);
  ObjectCode out;
  out.bytes.assign(buf.begin(), buf.end());
  return out;
}

}  // namespace whirl::wasm::aot
