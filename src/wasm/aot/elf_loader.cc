// x86-64 ELF relocatable-object loader; see elf_loader.h. Everything read
// from the file goes through memcpy (the input need not be aligned) after a
// bounds check; nothing is trusted until checked, since a cache file can be
// damaged.
#include "wasm/aot/elf_loader.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace whirl::wasm::aot {
namespace {

// PC-relative 32-bit fields must reach across the whole image; the cap also
// bounds what a damaged .bss size can ask for.
constexpr uint64_t kMaxImageSize = uint64_t{1} << 30;
constexpr uint64_t kStubSize = 8;  // jmp *slot(%rip) (6 bytes), int3, int3
#ifdef MAP_32BIT
constexpr int kMap32Bit = MAP_32BIT;
#else
constexpr int kMap32Bit = 0;
#endif

enum SectionKind : uint8_t { kNotLoaded, kCode, kReadOnly, kWritable };

enum SymState : uint8_t {
  kSymInSection,   // defined in a loaded section
  kSymAbsolute,    // SHN_ABS, or index 0 (address 0)
  kSymExternal,    // undefined, resolved
  kSymUnresolved,  // undefined, resolver not asked yet
  kSymNotLoaded,   // defined in a section that is not loaded
};

bool fits(uint64_t offset, uint64_t size, uint64_t limit) { return offset <= limit && size <= limit - offset; }
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
bool fits_i32(int64_t v) { return v == int64_t(int32_t(v)); }

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The NUL-terminated string at `offset` in `table`; a null view if the
// offset or the terminator is out of bounds (an empty name is not null).
std::string_view string_at(std::string_view table, uint64_t offset) {
  if (offset >= table.size()) return {};
  std::string_view rest = table.substr(offset);
  size_t n = rest.find('\0');
  return n == std::string_view::npos ? std::string_view{} : rest.substr(0, n);
}

const char* reloc_name(uint32_t type) {
  switch (type) {
    case R_X86_64_64: return "R_X86_64_64";
    case R_X86_64_PC32: return "R_X86_64_PC32";
    case R_X86_64_PLT32: return "R_X86_64_PLT32";
    case R_X86_64_32: return "R_X86_64_32";
    case R_X86_64_32S: return "R_X86_64_32S";
    case R_X86_64_PC64: return "R_X86_64_PC64";
    default: return "GOT relocation";
  }
}

}  // namespace

LoadedObject::~LoadedObject() {
  if (base_) munmap(base_, size_);
}

uintptr_t LoadedObject::symbol(std::string_view name) const {
  if (table_.empty()) return 0;
  size_t hash = std::hash<std::string_view>{}(name), mask = table_.size() - 1;
  for (size_t i = hash & mask; table_[i].index; i = (i + 1) & mask)
    if (table_[i].hash == uint32_t(hash) && symbols_[table_[i].index - 1].name == name)
      return symbols_[table_[i].index - 1].addr;
  return 0;
}

std::string_view LoadedObject::function_at(uintptr_t pc) const {
  std::call_once(functions_sorted_, [this] {
    std::sort(functions_.begin(), functions_.end(), [](const auto& a, const auto& b) { return a.addr < b.addr; });
  });
  auto it = std::upper_bound(functions_.begin(), functions_.end(), pc,
                             [](uintptr_t p, const Function& f) { return p < f.addr; });
  if (it == functions_.begin()) return {};
  const Symbol& f = symbols_[(--it)->symbol];
  return pc - f.addr < std::max<uint64_t>(f.size, 1) ? f.name : std::string_view{};
}

struct ElfLoader {
  struct Section {
    Elf64_Shdr h;
    SectionKind kind = kNotLoaded;
    uint64_t offset = 0;  // in the image
    uint64_t copied = 0;  // bytes copied into the image so far
  };
  // 16 bytes: relocations index this at random, so it should stay in cache.
  struct Sym {
    uintptr_t addr;  // in-section: st_value, then image offset, then address
    uint32_t index;  // in-section: section; undefined: stub number
    SymState state;
  };

  std::span<const uint8_t> file;
  const SymbolResolver& resolve;
  std::unique_ptr<LoadedObject> obj{new LoadedObject};
  std::vector<Section> secs;
  std::vector<Sym> syms;  // by symbol index; [0] is the null symbol
  std::string_view shstrtab, strtab;
  uint32_t symtab = 0;
  uint32_t n_undefined = 0, n_functions = 0;
  uint64_t stubs_offset = 0, got_offset = 0, ro_offset = 0, rw_offset = 0, image_size = 0;
  uint8_t* base = nullptr;
  bool wants_low = false;  // an absolute 32-bit relocation overflowed

  ElfLoader(std::span<const uint8_t> f, const SymbolResolver& r) : file(f), resolve(r) {}

  std::string section_name(uint64_t i) const {
    std::string_view n = i < secs.size() ? string_at(shstrtab, secs[i].h.sh_name) : std::string_view{};
    return "section " + std::to_string(i) + " (" + std::string(n.data() ? n : "?") + ")";
  }
  std::string symbol_name(uint32_t si) const {
    if (si == 0) return "<none>";
    const auto s = load<Elf64_Sym>(file.data() + secs[symtab].h.sh_offset + si * sizeof(Elf64_Sym));
    if (ELF64_ST_TYPE(s.st_info) == STT_SECTION) return section_name(syms[si].index);
    std::string_view n = string_at(strtab, s.st_name);
    return n.data() ? "'" + std::string(n) + "'" : "#" + std::to_string(si);
  }

  Expected<void> read_headers() {
    static constexpr uint8_t kIdent[] = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB};
    if (file.size() < sizeof(Elf64_Ehdr) || std::memcmp(file.data(), kIdent, sizeof kIdent) != 0)
      return make_error("not an ELF x86-64 relocatable object (no ELF64 little-endian header)");
    const auto eh = load<Elf64_Ehdr>(file.data());
    if (eh.e_machine != EM_X86_64)
      return make_error("not an ELF x86-64 relocatable object (e_machine " + std::to_string(eh.e_machine) + ")");
    if (eh.e_type != ET_REL)
      return make_error("not an ELF x86-64 relocatable object (e_type " + std::to_string(eh.e_type) + ")");
    if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || !fits(eh.e_shoff, sizeof(Elf64_Shdr), file.size()))
      return make_error("section header table (offset " + hex(eh.e_shoff) + ", entry size " +
                        std::to_string(eh.e_shentsize) + ") out of bounds of the " + std::to_string(file.size()) +
                        "-byte object");
    // Extended numbering (65280+ sections, e.g. one per function): the
    // real count and string table index are in section 0.
    const auto sh0 = load<Elf64_Shdr>(file.data() + eh.e_shoff);
    uint64_t shnum = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
    uint64_t shstrndx = eh.e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh.e_shstrndx;
    if (shnum > (file.size() - eh.e_shoff) / sizeof(Elf64_Shdr))
      return make_error("section header table out of bounds (" + std::to_string(shnum) + " sections)");
    secs.resize(shnum);
    for (uint64_t i = 0; i < shnum; ++i) {
      secs[i].h = load<Elf64_Shdr>(file.data() + eh.e_shoff + i * sizeof(Elf64_Shdr));
      const Elf64_Shdr& h = secs[i].h;
      if (h.sh_type != SHT_NOBITS && h.sh_type != SHT_NULL && !fits(h.sh_offset, h.sh_size, file.size()))
        return make_error("section " + std::to_string(i) + " out of bounds");
    }
    if (shstrndx == 0 || shstrndx >= shnum || secs[shstrndx].h.sh_type != SHT_STRTAB)
      return make_error("bad section name table index " + std::to_string(shstrndx));
    shstrtab = {reinterpret_cast<const char*>(file.data() + secs[shstrndx].h.sh_offset), secs[shstrndx].h.sh_size};

    for (uint64_t i = 1; i < shnum; ++i) {
      Section& s = secs[i];
      const Elf64_Shdr& h = s.h;
      if (h.sh_type == SHT_SYMTAB) {
        if (symtab) return make_error("more than one symbol table");
        symtab = uint32_t(i);
      }
      std::string_view name = string_at(shstrtab, h.sh_name);
      // Unwind tables would need __register_frame; the AOT tier unwinds by
      // its own frame records, so .eh_frame is not loaded.
      if (!(h.sh_flags & SHF_ALLOC) || h.sh_size == 0 || h.sh_type == SHT_NULL || h.sh_type == SHT_NOTE ||
          h.sh_type == SHT_X86_64_UNWIND || name == ".eh_frame")
        continue;
      if (h.sh_flags & SHF_TLS) return make_error(section_name(i) + ": thread-local storage is not supported");
      // Nothing would run them.
      if (h.sh_type == SHT_INIT_ARRAY || h.sh_type == SHT_FINI_ARRAY || h.sh_type == SHT_PREINIT_ARRAY)
        return make_error(section_name(i) + ": static constructors and destructors are not supported");
      uint64_t align = std::max<uint64_t>(h.sh_addralign, 1);
      if ((align & (align - 1)) || align > 4096)
        return make_error(section_name(i) + ": unsupported alignment " + std::to_string(align));
      if (h.sh_size > kMaxImageSize) return make_error(section_name(i) + " too large");
      // .data.rel.ro is only written by relocation, so it can be read-only.
      s.kind = (h.sh_flags & SHF_EXECINSTR)                                   ? kCode
               : (h.sh_flags & SHF_WRITE) && !name.starts_with(".data.rel.ro") ? kWritable
                                                                               : kReadOnly;
    }
    return {};
  }

  Expected<void> read_symbols() {
    syms.assign(1, Sym{0, 0, kSymAbsolute});
    if (!symtab) return {};
    const Elf64_Shdr& h = secs[symtab].h;
    if (h.sh_entsize != sizeof(Elf64_Sym) || h.sh_link == 0 || h.sh_link >= secs.size() ||
        secs[h.sh_link].h.sh_type != SHT_STRTAB)
      return make_error(section_name(symtab) + ": bad symbol table");
    const Elf64_Shdr& sh = secs[h.sh_link].h;
    obj->strtab_.reset(new char[sh.sh_size]);
    std::memcpy(obj->strtab_.get(), file.data() + sh.sh_offset, sh.sh_size);
    strtab = {obj->strtab_.get(), sh.sh_size};
    uint64_t n = h.sh_size / sizeof(Elf64_Sym);
    const uint8_t* xindex = nullptr;  // SHT_SYMTAB_SHNDX: section indices >= SHN_LORESERVE
    for (uint32_t i = 1; i < secs.size(); ++i)
      if (secs[i].h.sh_type == SHT_SYMTAB_SHNDX && secs[i].h.sh_link == symtab && secs[i].h.sh_size / 4 >= n)
        xindex = file.data() + secs[i].h.sh_offset;
    syms.resize(n);
    obj->symbols_.reserve(n);
    const uint8_t* p = file.data() + h.sh_offset;
    for (uint32_t i = 1; i < n; ++i) {
      const auto s = load<Elf64_Sym>(p + i * sizeof(Elf64_Sym));
      Sym& sym = syms[i];
      if (s.st_shndx == SHN_UNDEF) {
        sym = {0, n_undefined++, kSymUnresolved};
        continue;
      }
      if (s.st_shndx == SHN_ABS) {
        sym = {s.st_value, 0, kSymAbsolute};
        continue;
      }
      uint32_t shndx = s.st_shndx;
      if (shndx == SHN_XINDEX && xindex) shndx = load<uint32_t>(xindex + 4 * i);
      if (shndx == 0 || shndx >= secs.size() || (s.st_shndx >= SHN_LORESERVE && s.st_shndx != SHN_XINDEX))
        return make_error("symbol " + std::to_string(i) + ": unsupported section index " + std::to_string(shndx) +
                          (s.st_shndx == SHN_COMMON ? " (common symbol; compile with -fno-common)" : ""));
      sym = {s.st_value, shndx, kSymInSection};
      const Section& sec = secs[shndx];
      if (sec.kind == kNotLoaded) {
        sym.state = kSymNotLoaded;
        continue;
      }
      if (s.st_value > sec.h.sh_size)
        return make_error("symbol " + symbol_name(i) + " lies outside " + section_name(shndx));
      int type = ELF64_ST_TYPE(s.st_info);
      if (s.st_name == 0 || (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)) continue;
      std::string_view name = string_at(strtab, s.st_name);
      if (!name.data()) return make_error("symbol " + std::to_string(i) + ": name out of bounds");
      // addr holds the symbol index until the image is linked.
      obj->symbols_.push_back({name, i, s.st_size, ELF64_ST_BIND(s.st_info) == STB_LOCAL, type == STT_FUNC});
      n_functions += type == STT_FUNC;
    }
    return {};
  }

  // Section offsets in the image: code + stubs | read-only + GOT | writable.
  // The GOT has a slot per symbol index, so relocation needs no pre-pass to
  // count GOT references; slots never used stay untouched zero pages.
  Expected<void> layout() {
    uint64_t page = uint64_t(sysconf(_SC_PAGESIZE)), off = 0;
    auto place = [&](SectionKind kind) {
      for (Section& s : secs) {
        if (s.kind != kind) continue;
        s.offset = off = align_up(off, std::max<uint64_t>(s.h.sh_addralign, 1));
        off = std::min(off + s.h.sh_size, kMaxImageSize + 1);  // both terms <= kMaxImageSize
      }
    };
    place(kCode);
    stubs_offset = off = align_up(off, kStubSize);
    off += kStubSize * n_undefined;
    obj->code_size_ = off;
    ro_offset = off = align_up(off, page);
    place(kReadOnly);
    got_offset = off = align_up(off, 8);
    off += 8 * syms.size();
    rw_offset = off = align_up(off, page);
    place(kWritable);
    image_size = std::max(align_up(off, page), page);
    if (off > kMaxImageSize) return make_error("loaded image larger than " + std::to_string(kMaxImageSize) + " bytes");
    for (Sym& s : syms)
      if (s.state == kSymInSection) s.addr += secs[s.index].offset;
    return {};
  }

  Expected<void> resolve_symbol(uint32_t si) {
    const auto s = load<Elf64_Sym>(file.data() + secs[symtab].h.sh_offset + si * sizeof(Elf64_Sym));
    std::string_view name = string_at(strtab, s.st_name);
    if (!name.data()) return make_error("symbol " + std::to_string(si) + ": name out of bounds");
    uintptr_t addr = resolve ? resolve(name) : 0;
    if (addr == 0 && ELF64_ST_BIND(s.st_info) != STB_WEAK)
      return make_error("undefined symbol '" + std::string(name) + "'");
    syms[si].addr = addr;
    syms[si].state = kSymExternal;
    return {};
  }

  uint64_t got_slot(uint32_t si) {
    uint8_t* slot = base + got_offset + 8 * uint64_t(si);
    store<uint64_t>(slot, syms[si].addr);
    return uintptr_t(slot);
  }
  uint64_t stub(uint32_t si) {
    uint8_t* p = base + stubs_offset + kStubSize * uint64_t(syms[si].index);
    uint64_t slot = got_slot(si);
    p[0] = 0xff, p[1] = 0x25;  // jmp *rel32(%rip)
    store<int32_t>(p + 2, int32_t(slot - (uintptr_t(p) + 6)));
    p[6] = p[7] = 0xcc;
    return uintptr_t(p);
  }

  [[gnu::noinline, gnu::cold]] Unexpected<Error> overflow(uint32_t ri, uint64_t offset, uint32_t type, uint32_t si,
                                                          uint64_t value) const {
    return make_error(std::string(reloc_name(type)) + " at " + section_name(secs[ri].h.sh_info) + "+" + hex(offset) +
                      " against " + symbol_name(si) + " overflows (" + hex(value) + ")");
  }

  // Copies a section into the image up to at least `end`, a chunk at a time,
  // so that relocations (in offset order as compilers emit them) patch code
  // that is still in cache.
  void copy_to(Section& s, uint64_t end) {
    end = std::min(s.h.sh_size, std::max(end, s.copied + (uint64_t{256} << 10)));
    std::memcpy(base + s.offset + s.copied, file.data() + s.h.sh_offset + s.copied, end - s.copied);
    s.copied = end;
  }

  // The slow path of relocate(): reports a bad relocation, or resolves its
  // symbol on first reference.
  [[gnu::noinline, gnu::cold]] Expected<void> check_relocation(uint32_t ri, uint64_t k, const Elf64_Rela& r) {
    uint32_t type = ELF64_R_TYPE(r.r_info), si = ELF64_R_SYM(r.r_info);
    switch (type) {
      case R_X86_64_NONE: case R_X86_64_64: case R_X86_64_PC64: case R_X86_64_PC32: case R_X86_64_PLT32:
      case R_X86_64_32: case R_X86_64_32S: case R_X86_64_GOTPCREL: case R_X86_64_GOTPCRELX:
      case R_X86_64_REX_GOTPCRELX: break;
      default: return make_error("unsupported relocation type " + std::to_string(type) + " in " + section_name(ri));
    }
    std::string at = section_name(ri) + ": relocation " + std::to_string(k);
    uint64_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
    if (!fits(r.r_offset, width, secs[secs[ri].h.sh_info].h.sh_size))
      return make_error(at + " offset " + hex(r.r_offset) + " out of bounds");
    if (si >= syms.size()) return make_error(at + " bad symbol index " + std::to_string(si));
    if (syms[si].state == kSymUnresolved) return resolve_symbol(si);
    if (syms[si].state == kSymNotLoaded)
      return make_error(at + " against symbol " + symbol_name(si) + " in a section that is not loaded");
    return {};
  }

  Expected<void> relocate(uint32_t ri) {
    const Elf64_Shdr& rh = secs[ri].h;
    if (rh.sh_info >= secs.size())
      return make_error(section_name(ri) + ": bad target section " + std::to_string(rh.sh_info));
    Section& target = secs[rh.sh_info];
    if (target.kind == kNotLoaded) return {};
    if (rh.sh_type == SHT_REL) return make_error(section_name(ri) + ": REL relocations are not supported");
    if (rh.sh_entsize != sizeof(Elf64_Rela) || rh.sh_link != symtab || target.h.sh_type == SHT_NOBITS)
      return make_error(section_name(ri) + ": bad relocation section");
    uint8_t* sec = base + target.offset;
    uint64_t sec_size = target.h.sh_size, nsyms = syms.size();
    const uint8_t* p = file.data() + rh.sh_offset;
    for (uint64_t k = 0, n = rh.sh_size / sizeof(Elf64_Rela); k < n; ++k) {
      const auto r = load<Elf64_Rela>(p + k * sizeof(Elf64_Rela));
      uint32_t type = ELF64_R_TYPE(r.r_info), si = ELF64_R_SYM(r.r_info);
      uint64_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
      // Millions of these in a large object: the checks that can fail, and
      // first references to undefined symbols, go to the out-of-line path.
      if (si >= nsyms || !fits(r.r_offset, width, sec_size) || syms[si].state >= kSymUnresolved) [[unlikely]]
        WHIRL_TRY(check_relocation(ri, k, r));
      if (r.r_offset + width > target.copied) copy_to(target, r.r_offset + width);
      const Sym& sym = syms[si];
      uint8_t* loc = sec + r.r_offset;
      uint64_t S = sym.addr, A = uint64_t(r.r_addend), P = uintptr_t(loc);
      int64_t v;
      switch (type) {
        case R_X86_64_64: store<uint64_t>(loc, S + A); continue;
        case R_X86_64_PC64: store<uint64_t>(loc, S + A - P); continue;
        case R_X86_64_32:
          if (S + A <= UINT32_MAX) {
            store<uint32_t>(loc, uint32_t(S + A));
            continue;
          }
          wants_low = true;
          return overflow(ri, r.r_offset, type, si, S + A);
        case R_X86_64_32S:
          v = int64_t(S + A);
          wants_low |= !fits_i32(v);
          break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32:
          v = int64_t(S + A - P);
          if (!fits_i32(v) && sym.state == kSymExternal) v = int64_t(stub(si) + A - P);
          break;
        case R_X86_64_GOTPCREL:
        case R_X86_64_GOTPCRELX:
        case R_X86_64_REX_GOTPCRELX: v = int64_t(got_slot(si) + A - P); break;
        case R_X86_64_NONE: continue;
        default: return check_relocation(ri, k, r);  // unsupported type
      }
      if (!fits_i32(v)) return overflow(ri, r.r_offset, type, si, uint64_t(v));
      store<int32_t>(loc, int32_t(v));
    }
    return {};
  }

  // Maps, copies, relocates and protects; `low` maps in the low 2 GiB.
  Expected<void> link(bool low) {
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (low ? kMap32Bit : 0);
    // Huge pages for an image of several: half the cost of faulting it in,
    // and fewer iTLB misses running it. They need 2 MiB alignment: mapped
    // with room to spare, the ends cut off.
    constexpr uint64_t kHuge = uint64_t{2} << 20;
    const bool huge = image_size >= kHuge;
    const uint64_t span = huge ? image_size + kHuge : image_size;
    void* m = mmap(nullptr, span, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (m == MAP_FAILED)
      return make_error("cannot map " + std::to_string(image_size) + " bytes: " + std::strerror(errno));
    if (huge) {
      uintptr_t at = uintptr_t(m), aligned = (at + kHuge - 1) & ~(kHuge - 1);
      if (aligned > at) munmap(m, aligned - at);
      uintptr_t end = at + span, used = aligned + image_size;
      if (end > used) munmap(reinterpret_cast<void*>(used), end - used);
      m = reinterpret_cast<void*>(aligned);
      madvise(m, image_size, MADV_HUGEPAGE);
    }
#ifdef MADV_POPULATE_WRITE
    // Every page is written below: faulted in by one call, not one trap each.
    madvise(m, image_size, MADV_POPULATE_WRITE);
#endif
    obj->base_ = base = static_cast<uint8_t*>(m);
    obj->size_ = image_size;
    obj->code_begin_ = uintptr_t(base);
    std::memset(base + stubs_offset, 0xcc, kStubSize * n_undefined);
    for (Sym& s : syms)
      if (s.state == kSymInSection) s.addr += uintptr_t(base);
    for (Section& s : secs) s.copied = 0;
    for (uint32_t i = 1; i < secs.size(); ++i)
      if (secs[i].h.sh_type == SHT_RELA || secs[i].h.sh_type == SHT_REL) WHIRL_TRY(relocate(i));
    for (Section& s : secs)
      if (s.kind != kNotLoaded && s.h.sh_type != SHT_NOBITS) copy_to(s, s.h.sh_size);
    if ((ro_offset && mprotect(base, ro_offset, PROT_READ | PROT_EXEC) != 0) ||
        (rw_offset > ro_offset && mprotect(base + ro_offset, rw_offset - ro_offset, PROT_READ) != 0))
      return make_error(std::string("cannot protect the loaded image: ") + std::strerror(errno));
    return {};
  }

  void unmap() {
    munmap(obj->base_, obj->size_);
    obj->base_ = nullptr;
    for (Sym& s : syms)
      if (s.state == kSymInSection) s.addr -= uintptr_t(base);
  }

  // Symbol addresses, the name hash table and the function list.
  void publish() {
    LoadedObject& o = *obj;
    size_t mask = 15;
    while (mask < 2 * o.symbols_.size()) mask = 2 * mask + 1;
    o.table_.assign(mask + 1, {0, 0});
    o.functions_.reserve(n_functions);
    for (uint32_t k = 0; k < o.symbols_.size(); ++k) {
      LoadedObject::Symbol& s = o.symbols_[k];
      s.addr = syms[s.addr].addr;
      if (s.function) o.functions_.push_back({s.addr, k});
      size_t hash = std::hash<std::string_view>{}(s.name), i = hash & mask;
      for (; o.table_[i].index; i = (i + 1) & mask) {
        const LoadedObject::Symbol& e = o.symbols_[o.table_[i].index - 1];
        if (o.table_[i].hash == uint32_t(hash) && e.name == s.name) break;
      }
      // The first definition of a name wins, except a global over a local.
      if (!o.table_[i].index || (o.symbols_[o.table_[i].index - 1].local && !s.local))
        o.table_[i] = {uint32_t(hash), k + 1};
    }
  }
};

Expected<std::unique_ptr<LoadedObject>> load_elf_object(std::span<const uint8_t> object,
                                                        const SymbolResolver& resolve) {
  ElfLoader l(object, resolve);
  WHIRL_TRY(l.read_headers());
  WHIRL_TRY(l.read_symbols());
  WHIRL_TRY(l.layout());
  auto linked = l.link(false);
#ifdef MAP_32BIT
  // Non-PIC code (jump tables, `movl $sym`) assumes the low 2 GiB.
  if (!linked && l.wants_low) {
    l.unmap();
    linked = l.link(true);
  }
#endif
  if (!linked) return unexpected(std::move(linked).error());
  l.publish();
  return std::move(l.obj);
}

}  // namespace whirl::wasm::aot
