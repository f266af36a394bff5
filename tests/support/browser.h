// A dashboard user against a real server: logs in with an API token and then
// sends the session cookie (and the CSRF token on writes), as the web page does.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "net/http_client.h"

namespace cronq::testing {

struct Browser {
  explicit Browser(uint16_t port) : http("127.0.0.1", port) {}
  net::HttpClient http;
  std::string cookie, csrf;
  net::ClientResponse Req(const std::string& method, const std::string& path, const std::string& body = "",
                          bool with_csrf = true) {
    net::Fields h = {{"Content-Type", "application/json"}};
    if (!cookie.empty()) h.push_back({"Cookie", cookie});
    if (with_csrf && !csrf.empty()) h.push_back({"X-CSRF-Token", csrf});
    auto r = http.Request(method, path, body, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : net::ClientResponse{};
  }
  nlohmann::json Login(const std::string& token) {
    auto r = Req("POST", "/v1/session", nlohmann::json{{"token", token}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    std::string set(r.Header("set-cookie"));
    cookie = set.substr(0, set.find(';'));
    nlohmann::json j = nlohmann::json::parse(r.body);
    csrf = j.value("csrf", "");
    return j;
  }
};

}  // namespace cronq::testing
