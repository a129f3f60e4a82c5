#include "shim/oci_spec.h"

#include <gtest/gtest.h>

namespace whirl::shim {
namespace {

TEST(OciSpec, ReadsArgsEnvCwdAnnotationsAndCgroup) {
  auto s = parse_oci_spec(R"({
    "process": {"args": ["/app.wasm", "x"], "env": ["A=1", "SPIN_HTTP_LISTEN_ADDR=0.0.0.0:8080", "A=2"], "cwd": "/work"},
    "root": {"path": "rootfs"},
    "annotations": {"io.kubernetes.cri.sandbox-id": "pod1"},
    "linux": {"cgroupsPath": "/default/c1"}})");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->args, (std::vector<std::string>{"/app.wasm", "x"}));
  EXPECT_EQ(s->cwd, "/work");
  EXPECT_EQ(s->annotations.at(kSandboxIdAnnotation), "pod1");
  EXPECT_EQ(s->cgroups_path, "/default/c1");
  EXPECT_TRUE(s->namespaces.empty());
  std::string storage;
  ASSERT_NE(find_env(s->env, "A", &storage), nullptr);
  EXPECT_EQ(storage, "2");  // the last one wins
  EXPECT_EQ(find_env(s->env, "SPIN", &storage), nullptr);
}

TEST(OciSpec, ReadsTheLimitsACgroupEnforces) {
  auto s = parse_oci_spec(R"({"linux": {"resources": {"memory": {"limit": 268435456},
                                                       "cpu": {"quota": 50000, "period": 100000, "shares": 512}}}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resources.memory_limit, 268435456);
  EXPECT_EQ(s->resources.cpu_quota, 50000);
  EXPECT_EQ(s->resources.cpu_period, 100000u);
  EXPECT_EQ(s->resources.cpu_shares, 512u);
  EXPECT_TRUE(s->resources.any());
  // containerd's default spec has only device rules: no cgroup needed.
  auto d = parse_oci_spec(R"({"linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]}}})");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->resources.any());
}

TEST(OciSpec, ReadsNamespacesAndHostname) {
  auto s = parse_oci_spec(R"({"hostname": "pod-a", "linux": {"namespaces": [
    {"type": "pid"}, {"type": "network", "path": "/var/run/netns/cni-1"}, {"type": "uts"}]}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->hostname, "pod-a");
  ASSERT_EQ(s->namespaces.size(), 3u);
  EXPECT_EQ(s->namespaces[1].type, "network");
  EXPECT_EQ(s->namespaces[1].path, "/var/run/netns/cni-1");
  EXPECT_EQ(s->namespaces[2].path, "");
}

TEST(OciSpec, DefaultsAndErrors) {
  auto s = parse_oci_spec("{}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cwd, "/");
  EXPECT_EQ(s->root_path, "rootfs");
  EXPECT_TRUE(s->args.empty());
  EXPECT_FALSE(parse_oci_spec("not json"));
  auto bad = parse_oci_spec(R"({"process": {"args": [1]}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("process.args"), std::string::npos);
}

}  // namespace
}  // namespace whirl::shim
