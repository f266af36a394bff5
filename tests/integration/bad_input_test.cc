// Bad input gets a clear 4xx with a JSON error body and leaves the store intact.
#include <gtest/gtest.h>

#include <fstream>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace cronq::testing {
namespace {

using nlohmann::json;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream cfg(dir_.File("cronq.toml"));
    cfg << "[[tokens]]\nname = \"viewer\"\ntoken = \"read-only-token-0123456789\"\nscope = \"read\"\n"
        << "[[tokens]]\nname = \"app\"\ntoken = \"producer-token-0123456789\"\nscope = \"producer\"\n";
    cfg.close();
    server_ = std::make_unique<ServerProcess>(dir_.File("data"), std::vector<std::string>{"--config", dir_.File("cronq.toml")});
    server_->Start();
    // Something to keep intact.
    auto r = server_->Call("POST", "/v1/queues/keep/jobs", json{{"name", "precious"}, {"data", {{"n", 1}}}});
    ASSERT_EQ(r.status, 201);
  }

  void ExpectError(const ServerProcess::Reply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.json.is_object()) << "error body is not JSON: " << r.body;
    ASSERT_TRUE(r.json.contains("error")) << r.body;
    EXPECT_EQ(r.json["error"]["code"], code) << r.body;
    EXPECT_FALSE(r.json["error"]["message"].get<std::string>().empty());
  }

  void TearDown() override {
    // The store is intact: the job added in SetUp is exactly as it was.
    auto q = server_->Call("GET", "/v1/queues/keep");
    EXPECT_EQ(q.json["counts"]["waiting"], 1);
    auto j = server_->Call("GET", "/v1/queues/keep/jobs/1");
    EXPECT_EQ(j.json["data"]["n"], 1);
    EXPECT_EQ(j.json["name"], "precious");
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BadInput, MalformedJson) {
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", std::string("{\"name\": \"x\",")), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", std::string("not json")), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/fetch", std::string("[")), 400, "invalid_argument");
}

TEST_F(BadInput, DeepJsonIsRefused) {
  std::string deep = "{\"name\":\"x\",\"data\":" + std::string(500, '[') + std::string(500, ']') + "}";
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", deep), 400, "invalid_argument");
}

TEST_F(BadInput, OversizedBodyAndFields) {
  std::string huge = "{\"name\":\"x\",\"data\":\"" + std::string(17 * 1024 * 1024, 'a') + "\"}";
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", huge), 413, "too_large");
  server_->Stop();  // the server closes a connection after 413; reconnect through a restart-free client
  server_->Start();
  std::string big_data = "{\"name\":\"x\",\"data\":\"" + std::string(600 * 1024, 'a') + "\"}";
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", big_data), 413, "too_large");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", json{{"name", std::string(300, 'n')}}), 400,
              "invalid_argument");
}

TEST_F(BadInput, BadQueueNames) {
  ExpectError(server_->Call("POST", "/v1/queues/bad%20name/jobs", json{{"name", "x"}}), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/" + std::string(200, 'q') + "/jobs", json{{"name", "x"}}), 400,
              "invalid_argument");
  ExpectError(server_->Call("GET", "/v1/queues/%C3%BC"), 400, "invalid_argument");
  ExpectError(server_->Call("GET", "/v1/queues/never-used"), 404, "not_found");
}

TEST_F(BadInput, WrongOrMissingTokens) {
  ExpectError(server_->Call("GET", "/v1/queues", "", "wrong-token"), 401, "unauthenticated");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", json{{"name", "x"}}, "wrong-token"), 401,
              "unauthenticated");
  // A read-only token reads but cannot write or act.
  EXPECT_EQ(server_->Call("GET", "/v1/queues", "", "read-only-token-0123456789").status, 200);
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", json{{"name", "x"}}, "read-only-token-0123456789"), 403,
              "permission_denied");
  ExpectError(server_->Call("POST", "/v1/queues/keep/pause", "", "read-only-token-0123456789"), 403,
              "permission_denied");
  // A producer can enqueue but not fetch or delete.
  ExpectError(server_->Call("POST", "/v1/queues/keep/fetch", json::object(), "producer-token-0123456789"), 403,
              "permission_denied");
  ExpectError(server_->Call("DELETE", "/v1/queues/keep/jobs/1", "", "producer-token-0123456789"), 403,
              "permission_denied");
}

TEST_F(BadInput, BadOptionsAndLeaseBodies) {
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", json{{"name", "x"}, {"opts", {{"attempts", "many"}}}}),
              400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs", json{{"jobs", json::array()}}), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/fetch", json{{"max", 0}}), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/fetch", json{{"waitMs", 999'999}}), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs/1/complete", json::object()), 400, "invalid_argument");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs/1/complete", json{{"token", "1.bogus"}}), 409, "conflict");
  ExpectError(server_->Call("POST", "/v1/queues/keep/jobs/999/complete", json{{"token", "1.bogus"}}), 404, "not_found");
  ExpectError(server_->Call("DELETE", "/v1/queues/keep/jobs/nope"), 404, "not_found");
}

TEST_F(BadInput, UnknownRoutesAndMethods) {
  ExpectError(server_->Call("GET", "/v1/nothing"), 404, "not_found");
  ExpectError(server_->Call("PATCH", "/v1/queues/keep/jobs"), 405, "method_not_allowed");
}

}  // namespace
}  // namespace cronq::testing
