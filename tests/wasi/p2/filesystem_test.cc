// wasi:filesystem against a scratch directory: what the calls do on disk,
// what they report, and that the sandbox holds.
#include <sys/stat.h>

#include <set>

#include "harness.h"

namespace whirl::wasi::p2::testing {
namespace {

const Value kNoFlags = flags({});
const Value kFollow = flags({"symlink-follow"});

class WasiP2Filesystem : public P2Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    WasiConfig c;
    c.preopens.push_back({dir_.string(), "/sandbox", false});
    start(c);
    root_ = preopen();
  }
  // open-at beneath the preopen; the result value.
  Value open(const std::string& path, std::vector<std::string> oflags, std::vector<std::string> dflags,
             const Value& pflags = kNoFlags) {
    return fs("open-at", {borrow(root_), pflags, str(path), flags(std::move(oflags)), flags(std::move(dflags))});
  }
  Value open_ok(const std::string& path, std::vector<std::string> oflags, std::vector<std::string> dflags) {
    return ok(open(path, std::move(oflags), std::move(dflags)));
  }
  fs::path dir_;
  Value root_;
};

TEST_F(WasiP2Filesystem, PreopensAreListedWithTheirGuestNames) {
  fs::path other = fresh_dir("preopen-other");
  WasiConfig c;
  c.preopens.push_back({dir_.string(), "/a", false});
  c.preopens.push_back({other.string(), "data", true});
  start(c);
  Value list = call1("wasi:filesystem/preopens", "get-directories");
  ASSERT_EQ(list.items.size(), 2u);
  EXPECT_EQ(list.items[0].items[1].str, "/a");
  EXPECT_EQ(list.items[1].items[1].str, "data");
  EXPECT_EQ(ok(fs("get-type", {borrow(list.items[0].items[0])})).label, "directory");
  // Each call gives fresh descriptors; dropping one leaves the others working.
  Value again = call1("wasi:filesystem/preopens", "get-directories");
  EXPECT_NE(again.items[0].items[0].u, list.items[0].items[0].u);
  drop("wasi:filesystem/types", "descriptor", list.items[0].items[0]);
  EXPECT_EQ(ok(fs("get-type", {borrow(again.items[0].items[0])})).label, "directory");
}

TEST_F(WasiP2Filesystem, WriteThenReadBackAtOffsets) {
  Value f = open_ok("a.txt", {"create"}, {"read", "write"});
  EXPECT_EQ(ok(fs("write", {borrow(f), bytes("hello world"), u64(0)})).u, 11u);
  EXPECT_EQ(ok(fs("write", {borrow(f), bytes("W"), u64(6)})).u, 1u);
  EXPECT_EQ(read_file(dir_ / "a.txt"), "hello World");
  Value r = ok(fs("read", {borrow(f), u64(5), u64(6)}));
  EXPECT_EQ(text(r.items[0]), "World");
  EXPECT_FALSE(r.items[1].b);
  r = ok(fs("read", {borrow(f), u64(100), u64(11)}));
  EXPECT_EQ(text(r.items[0]), "");
  EXPECT_TRUE(r.items[1].b);  // end of file
  Value flags_set = ok(fs("get-flags", {borrow(f)}));
  EXPECT_EQ(std::set<std::string>(flags_set.labels.begin(), flags_set.labels.end()),
            (std::set<std::string>{"read", "write"}));
  EXPECT_EQ(ok(fs("get-type", {borrow(f)})).label, "regular-file");
}

TEST_F(WasiP2Filesystem, StreamsWriteAtTheirOffsetAndAppend) {
  write_file(dir_ / "s.txt", "0123456789");
  Value f = open_ok("s.txt", {}, {"read", "write"});
  Value w = ok(fs("write-via-stream", {borrow(f), u64(2)}));
  EXPECT_GE(ok(out("check-write", {borrow(w)})).u, 4u);
  EXPECT_FALSE(out("write", {borrow(w), bytes("ab")}).is_err);
  EXPECT_FALSE(out("write", {borrow(w), bytes("cd")}).is_err);  // continues where the last write ended
  EXPECT_FALSE(out("blocking-flush", {borrow(w)}).is_err);
  EXPECT_EQ(read_file(dir_ / "s.txt"), "01abcd6789");
  Value app = ok(fs("append-via-stream", {borrow(f)}));
  EXPECT_FALSE(out("blocking-write-and-flush", {borrow(app), bytes("XY")}).is_err);
  EXPECT_FALSE(out("write-zeroes", {borrow(app), u64(2)}).is_err);
  EXPECT_EQ(read_file(dir_ / "s.txt"), std::string("01abcd6789XY\0\0", 14));
  // The stream outlives its descriptor (the host file stays open for it).
  drop("wasi:filesystem/types", "descriptor", f);
  EXPECT_FALSE(out("blocking-write-and-flush", {borrow(app), bytes("!")}).is_err);
  EXPECT_EQ(read_file(dir_ / "s.txt").back(), '!');
}

TEST_F(WasiP2Filesystem, ReadViaStreamToTheEnd) {
  write_file(dir_ / "r.txt", "abcdef");
  Value f = open_ok("r.txt", {}, {"read"});
  Value s = ok(fs("read-via-stream", {borrow(f), u64(1)}));
  EXPECT_EQ(text(ok(in("read", {borrow(s), u64(3)}))), "bcd");
  EXPECT_EQ(ok(in("skip", {borrow(s), u64(1)})).u, 1u);  // "e"
  Value s2 = ok(fs("read-via-stream", {borrow(f), u64(0)}));
  EXPECT_EQ(ok(in("blocking-skip", {borrow(s2), u64(2)})).u, 2u);
  EXPECT_EQ(text(ok(in("read", {borrow(s2), u64(1)}))), "c");
  EXPECT_EQ(text(ok(in("blocking-read", {borrow(s), u64(100)}))), "f");
  EXPECT_EQ(in("read", {borrow(s), u64(1)}).payload()->label, "closed");
  // A file is always ready.
  Value p = call1("wasi:io/streams", "[method]input-stream.subscribe", {borrow(s)});
  EXPECT_TRUE(call1("wasi:io/poll", "[method]pollable.ready", {borrow(p)}).b);
}

TEST_F(WasiP2Filesystem, DirectoryListing) {
  write_file(dir_ / "a", "1");
  write_file(dir_ / "b", "22");
  fs::create_directory(dir_ / "c");
  fs::create_symlink("a", dir_ / "l");
  Value st = ok(fs("read-directory", {borrow(root_)}));
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < 10; ++i) {
    Value e = ok(call1("wasi:filesystem/types", "[method]directory-entry-stream.read-directory-entry", {borrow(st)}));
    if (e.items.empty()) break;
    seen.insert({e.items[0].items[1].str, e.items[0].items[0].label});
  }
  EXPECT_EQ(seen, (std::set<std::pair<std::string, std::string>>{
                      {"a", "regular-file"}, {"b", "regular-file"}, {"c", "directory"}, {"l", "symbolic-link"}}));
  Value f = open_ok("a", {}, {"read"});
  EXPECT_EQ(err(fs("read-directory", {borrow(f)})), "not-directory");
}

TEST_F(WasiP2Filesystem, StatAndTimes) {
  write_file(dir_ / "f", "12345");
  Value s = ok(fs("stat-at", {borrow(root_), kFollow, str("f")}));
  EXPECT_EQ(s.items[0].label, "regular-file");
  EXPECT_EQ(s.items[1].u, 1u);  // link count
  EXPECT_EQ(s.items[2].u, 5u);
  ASSERT_EQ(s.items[4].items.size(), 1u);  // some(mtime)
  Value when = Value::record({{"seconds", u64(1000000000)}, {"nanoseconds", u32(5)}});
  EXPECT_FALSE(fs("set-times-at", {borrow(root_), kNoFlags, str("f"), Value::variant("no-change"),
                                   Value::variant("timestamp", when)})
                   .is_err);
  struct stat host;
  ASSERT_EQ(stat((dir_ / "f").c_str(), &host), 0);
  EXPECT_EQ(host.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(host.st_mtim.tv_nsec, 5);
  s = ok(fs("stat-at", {borrow(root_), kFollow, str("f")}));
  EXPECT_EQ(s.items[4].items[0].items[0].u, 1000000000u);
  Value f = open_ok("f", {}, {"read", "write"});
  EXPECT_EQ(ok(fs("stat", {borrow(f)})).items[2].u, 5u);
  EXPECT_FALSE(fs("set-size", {borrow(f), u64(2)}).is_err);
  EXPECT_EQ(read_file(dir_ / "f"), "12");
  EXPECT_FALSE(fs("sync", {borrow(f)}).is_err);
  EXPECT_FALSE(fs("sync-data", {borrow(f)}).is_err);
  EXPECT_FALSE(fs("advise", {borrow(f), u64(0), u64(2), Value::enumeration("sequential")}).is_err);
  EXPECT_FALSE(fs("set-times", {borrow(f), Value::variant("now"), Value::variant("now")}).is_err);
}

TEST_F(WasiP2Filesystem, SameObjectAndMetadataHash) {
  write_file(dir_ / "x", "x");
  write_file(dir_ / "y", "y");
  Value x1 = open_ok("x", {}, {"read"}), x2 = open_ok("./x", {}, {"read"}), y = open_ok("y", {}, {"read"});
  EXPECT_TRUE(fs("is-same-object", {borrow(x1), borrow(x2)}).b);
  EXPECT_FALSE(fs("is-same-object", {borrow(x1), borrow(y)}).b);
  Value hx = ok(fs("metadata-hash", {borrow(x1)}));
  EXPECT_EQ(hx, ok(fs("metadata-hash", {borrow(x2)})));
  EXPECT_EQ(hx, ok(fs("metadata-hash-at", {borrow(root_), kNoFlags, str("x")})));
  EXPECT_NE(hx, ok(fs("metadata-hash", {borrow(y)})));
}

TEST_F(WasiP2Filesystem, DirectoriesLinksAndRenames) {
  EXPECT_FALSE(fs("create-directory-at", {borrow(root_), str("d")}).is_err);
  EXPECT_TRUE(fs::is_directory(dir_ / "d"));
  Value d = open_ok("d", {"directory"}, {"read"});
  Value f = open_ok("d/in.txt", {"create"}, {"write"});
  EXPECT_EQ(ok(fs("write", {borrow(f), bytes("data"), u64(0)})).u, 4u);
  EXPECT_FALSE(fs("rename-at", {borrow(d), str("in.txt"), borrow(root_), str("moved.txt")}).is_err);
  EXPECT_FALSE(fs::exists(dir_ / "d" / "in.txt"));
  EXPECT_EQ(read_file(dir_ / "moved.txt"), "data");
  EXPECT_FALSE(fs("link-at", {borrow(root_), kNoFlags, str("moved.txt"), borrow(d), str("hard")}).is_err);
  EXPECT_EQ(fs::hard_link_count(dir_ / "moved.txt"), 2u);
  EXPECT_FALSE(fs("symlink-at", {borrow(root_), str("moved.txt"), str("sym")}).is_err);
  EXPECT_EQ(fs::read_symlink(dir_ / "sym"), "moved.txt");
  EXPECT_EQ(ok(fs("readlink-at", {borrow(root_), str("sym")})).str, "moved.txt");
  EXPECT_EQ(ok(fs("stat-at", {borrow(root_), kNoFlags, str("sym")})).items[0].label, "symbolic-link");
  EXPECT_EQ(ok(fs("stat-at", {borrow(root_), kFollow, str("sym")})).items[0].label, "regular-file");
  EXPECT_EQ(err(fs("remove-directory-at", {borrow(root_), str("d")})), "not-empty");
  EXPECT_FALSE(fs("unlink-file-at", {borrow(d), str("hard")}).is_err);
  EXPECT_FALSE(fs("remove-directory-at", {borrow(root_), str("d")}).is_err);
  EXPECT_FALSE(fs::exists(dir_ / "d"));
  Value flags_set = ok(fs("get-flags", {borrow(root_)}));
  EXPECT_TRUE(std::count(flags_set.labels.begin(), flags_set.labels.end(), "mutate-directory"));
}

TEST_F(WasiP2Filesystem, ErrorCodes) {
  write_file(dir_ / "file", "x");
  fs::create_directory(dir_ / "sub");
  write_file(dir_ / "sub" / "inner", "x");
  EXPECT_EQ(err(open("missing", {}, {"read"})), "no-entry");
  EXPECT_EQ(err(open("file", {"create", "exclusive"}, {"write"})), "exist");
  EXPECT_EQ(err(open("file", {"directory"}, {"read"})), "not-directory");
  EXPECT_EQ(err(open("file/x", {}, {"read"})), "not-directory");
  EXPECT_EQ(err(open("sub", {}, {"write"})), "is-directory");
  EXPECT_EQ(err(open("sub", {"directory", "create"}, {"read"})), "invalid");
  EXPECT_EQ(err(fs("create-directory-at", {borrow(root_), str("sub")})), "exist");
  EXPECT_EQ(err(fs("remove-directory-at", {borrow(root_), str("sub")})), "not-empty");
  EXPECT_EQ(err(fs("remove-directory-at", {borrow(root_), str("file")})), "not-directory");
  EXPECT_EQ(err(fs("unlink-file-at", {borrow(root_), str("sub")})), "is-directory");
  EXPECT_EQ(err(fs("unlink-file-at", {borrow(root_), str("file/")})), "not-directory");
  EXPECT_EQ(err(fs("stat-at", {borrow(root_), kNoFlags, str("nope")})), "no-entry");
  EXPECT_EQ(err(fs("readlink-at", {borrow(root_), str("file")})), "invalid");
  EXPECT_EQ(err(fs("stat-at", {borrow(root_), kNoFlags, str(std::string("a\0b", 3))})), "invalid");
  Value f = open_ok("file", {}, {"read"});
  EXPECT_EQ(err(fs("stat-at", {borrow(f), kNoFlags, str("x")})), "not-directory");  // a file is no directory
  EXPECT_EQ(err(fs("read", {borrow(root_), u64(1), u64(0)})), "bad-descriptor");   // a directory is no file
  EXPECT_EQ(err(fs("write-via-stream", {borrow(root_), u64(0)})), "bad-descriptor");
  EXPECT_EQ(err(fs("read-via-stream", {borrow(root_), u64(0)})), "is-directory");
  // A write through a read-only descriptor fails on the host: the stream
  // reports last-operation-failed, whose error names the code.
  Value s = ok(fs("write-via-stream", {borrow(f), u64(0)}));
  Value r = out("write", {borrow(s), bytes("y")});
  ASSERT_TRUE(r.is_err);
  ASSERT_EQ(r.payload()->label, "last-operation-failed");
  Value e = r.payload()->items[0];
  Value code = call1("wasi:filesystem/types", "filesystem-error-code", {borrow(e)});
  ASSERT_EQ(code.items.size(), 1u);
  EXPECT_EQ(code.items[0].label, "bad-descriptor");
  EXPECT_FALSE(call1("wasi:io/error", "[method]error.to-debug-string", {borrow(e)}).str.empty());
  EXPECT_EQ(call1("wasi:sockets/network", "network-error-code", {borrow(e)}).items.size(), 1u);
  EXPECT_EQ(out("check-write", {borrow(s)}).payload()->label, "closed");  // a failed stream stays closed
  EXPECT_EQ(read_file(dir_ / "file"), "x");
}

TEST_F(WasiP2Filesystem, SandboxEscapesAreRefused) {
  fs::path outside = fresh_dir("outside-of-sandbox");
  write_file(outside / "secret", "secret");
  fs::create_symlink(outside, dir_ / "out-link");           // a symlink leading out
  fs::create_symlink(outside / "secret", dir_ / "out-file");  // and one to a file out there
  std::string rel = "../" + outside.filename().string() + "/secret";
  EXPECT_EQ(err(open(rel, {}, {"read"})), "not-permitted");
  EXPECT_EQ(err(open("../../../../../../etc/passwd", {}, {"read"})), "not-permitted");
  EXPECT_EQ(err(open("/etc/passwd", {}, {"read"})), "not-permitted");
  EXPECT_EQ(err(open("out-link/secret", {}, {"read"}, kFollow)), "not-permitted");
  EXPECT_EQ(err(open("out-file", {}, {"read"}, kFollow)), "not-permitted");
  EXPECT_EQ(err(fs("stat-at", {borrow(root_), kFollow, str("out-file")})), "not-permitted");
  EXPECT_EQ(err(fs("stat-at", {borrow(root_), kNoFlags, str(rel)})), "not-permitted");
  EXPECT_EQ(err(open("../escaped", {"create"}, {"write"})), "not-permitted");
  EXPECT_EQ(err(open("out-link/new", {"create"}, {"write"}, kFollow)), "not-permitted");
  EXPECT_EQ(err(fs("create-directory-at", {borrow(root_), str("../escaped-dir")})), "not-permitted");
  EXPECT_EQ(err(fs("symlink-at", {borrow(root_), str("/etc/passwd"), str("abs")})), "not-permitted");
  write_file(dir_ / "mine", "mine");
  EXPECT_EQ(err(fs("rename-at", {borrow(root_), str("mine"), borrow(root_), str("../escaped")})), "not-permitted");
  EXPECT_EQ(err(fs("link-at", {borrow(root_), kNoFlags, str("mine"), borrow(root_), str("out-link/x")})),
            "not-permitted");
  EXPECT_EQ(err(fs("unlink-file-at", {borrow(root_), str(rel)})), "not-permitted");
  EXPECT_EQ(err(fs("readlink-at", {borrow(root_), str("../x")})), "not-permitted");
  // Nothing changed outside.
  EXPECT_EQ(read_file(outside / "secret"), "secret");
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escaped"));
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escaped-dir"));
  EXPECT_FALSE(fs::exists(outside / "new"));
  EXPECT_FALSE(fs::exists(outside / "x"));
  EXPECT_TRUE(fs::exists(dir_ / "mine"));
  // A symlink inside the sandbox is followed.
  fs::create_symlink("mine", dir_ / "in-link");
  EXPECT_EQ(err(open("in-link", {}, {"read"})), "loop");  // not followed without symlink-follow
  Value in = ok(open("in-link", {}, {"read"}, kFollow));
  EXPECT_EQ(text(ok(fs("read", {borrow(in), u64(10), u64(0)})).items[0]), "mine");
}

TEST_F(WasiP2Filesystem, ReadOnlyPreopenChangesNothing) {
  write_file(dir_ / "ro.txt", "keep");
  WasiConfig c;
  c.preopens.push_back({dir_.string(), "/ro", true});
  start(c);
  root_ = preopen();
  EXPECT_EQ(err(open("new", {"create"}, {"write"})), "not-permitted");
  EXPECT_EQ(err(open("ro.txt", {}, {"write"})), "not-permitted");
  EXPECT_EQ(err(open("ro.txt", {"truncate"}, {"read"})), "not-permitted");
  EXPECT_EQ(err(fs("create-directory-at", {borrow(root_), str("d")})), "not-permitted");
  EXPECT_EQ(err(fs("unlink-file-at", {borrow(root_), str("ro.txt")})), "not-permitted");
  EXPECT_EQ(err(fs("rename-at", {borrow(root_), str("ro.txt"), borrow(root_), str("r2")})), "not-permitted");
  EXPECT_EQ(err(fs("symlink-at", {borrow(root_), str("ro.txt"), str("s")})), "not-permitted");
  EXPECT_EQ(err(fs("set-times-at", {borrow(root_), kNoFlags, str("ro.txt"), Value::variant("now"),
                                     Value::variant("now")})),
            "not-permitted");
  Value f = open_ok("ro.txt", {}, {"read"});
  EXPECT_EQ(err(fs("write", {borrow(f), bytes("x"), u64(0)})), "not-permitted");
  EXPECT_EQ(err(fs("write-via-stream", {borrow(f), u64(0)})), "not-permitted");
  EXPECT_EQ(err(fs("append-via-stream", {borrow(f)})), "not-permitted");
  EXPECT_EQ(err(fs("set-size", {borrow(f), u64(0)})), "not-permitted");
  EXPECT_EQ(text(ok(fs("read", {borrow(f), u64(10), u64(0)})).items[0]), "keep");
  Value flags_set = ok(fs("get-flags", {borrow(root_)}));
  EXPECT_EQ(flags_set.labels, std::vector<std::string>{"read"});
  EXPECT_EQ(read_file(dir_ / "ro.txt"), "keep");
  EXPECT_FALSE(fs::exists(dir_ / "new"));
}

TEST_F(WasiP2Filesystem, OpenFilesAreLimited) {
  WasiConfig c;
  c.preopens.push_back({dir_.string(), "/", false});
  c.max_open_files = 6;  // stdio and the preopen (4), its descriptor and one file
  start(c);
  root_ = preopen();
  write_file(dir_ / "f", "");
  Value a = open_ok("f", {}, {"read"});
  EXPECT_EQ(err(open("f", {}, {"read"})), "insufficient-memory");
  drop("wasi:filesystem/types", "descriptor", a);
  open_ok("f", {}, {"read"});
}

}  // namespace
}  // namespace whirl::wasi::p2::testing
