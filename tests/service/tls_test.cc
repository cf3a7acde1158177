// TLS and mutual TLS, with certificates made by the openssl CLI here.
#include <gtest/gtest.h>

#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

client::ClientOptions Tls(const std::string& ca, const std::string& cert = "",
                          const std::string& key = "") {
  client::ClientOptions o;
  o.tls_ca_file = ca;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  return o;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate.
class Certs {
 public:
  Certs() {
    Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", F("ca.key"), "-out", F("ca.pem"), "-days", "2", "-subj", "/CN=cairn test CA"});
    // A second, unrelated CA, whose certificates the server must refuse.
    Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", F("other-ca.key"), "-out", F("other-ca.pem"), "-days", "2", "-subj",
         "/CN=other CA"});
    WriteFile(F("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Issue("server", "ca", "/CN=localhost", F("server.ext"));
    Issue("client", "ca", "/CN=cairn-client", "");
    Issue("rogue", "other-ca", "/CN=rogue", "");
  }
  std::string F(const std::string& name) const { return dir_.File(name); }

 private:
  void Issue(const std::string& name, const std::string& ca, const std::string& subject,
             const std::string& ext) {
    Run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         F(name + ".key"), "-out", F(name + ".csr"), "-subj", subject});
    std::vector<std::string> args = {"x509",
                                     "-req",
                                     "-in",
                                     F(name + ".csr"),
                                     "-CA",
                                     F(ca + ".pem"),
                                     "-CAkey",
                                     F(ca + ".key"),
                                     "-CAcreateserial",
                                     "-out",
                                     F(name + ".pem"),
                                     "-days",
                                     "2"};
    if (!ext.empty()) args.insert(args.end(), {"-extfile", ext});
    Run(args);
  }
  void Run(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    ProcessResult r = RunProcess(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_;
};

TEST(ServiceTlsTest, TlsServesOnlyTlsClients) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  Certs certs;
  TempDir dir;
  ServerProcess server({"--database", tdb->url(), "--tokens-file", WriteTokens(dir), "--tls-cert",
                        certs.F("server.pem"), "--tls-key", certs.F("server.key")});
  ASSERT_TRUE(server.Start());
  client::ClientOptions tls = Tls(certs.F("ca.pem"));
  auto ok = server.Client(kReaderToken, tls)->ListStreams();
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  // Plaintext to a TLS server, or a server certificate from an untrusted CA.
  EXPECT_FALSE(server.Client(kReaderToken)->ListStreams().ok());
  client::ClientOptions wrong_ca = Tls(certs.F("other-ca.pem"));
  EXPECT_EQ(server.Client(kReaderToken, wrong_ca)->ListStreams().status().code(),
            StatusCode::kUnavailable);
  // TLS does not replace the token.
  EXPECT_EQ(server.Client("", tls)->ListStreams().status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(server.Alive());
}

TEST(ServiceTlsTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  Certs certs;
  TempDir dir;
  WriteMigrations(dir.path(), 1);
  ASSERT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate"}).exit_code, 0);
  ServerProcess server({"--database", tdb->url(), "--tokens-file", WriteTokens(dir), "--tls-cert",
                        certs.F("server.pem"), "--tls-key", certs.F("server.key"),
                        "--tls-client-ca", certs.F("ca.pem")});
  ASSERT_TRUE(server.Start());
  client::ClientOptions no_cert = Tls(certs.F("ca.pem"));
  EXPECT_FALSE(server.Client(kReaderToken, no_cert)->ListStreams().ok());
  client::ClientOptions rogue = Tls(certs.F("ca.pem"), certs.F("rogue.pem"), certs.F("rogue.key"));
  EXPECT_FALSE(server.Client(kReaderToken, rogue)->ListStreams().ok());
  client::ClientOptions good = Tls(certs.F("ca.pem"), certs.F("client.pem"), certs.F("client.key"));
  auto r = server.Client(kReaderToken, good)->ListStreams();
  EXPECT_TRUE(r.ok()) << r.status().ToString();

  // The CLI with the same files.
  ProcessResult cli =
      RunProcess({CairnBinary(), "--stream", "target", "history", "--server", server.address(),
                  "--token", kReaderToken, "--tls-ca", certs.F("ca.pem"), "--tls-cert",
                  certs.F("client.pem"), "--tls-key", certs.F("client.key")});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("migration_committed"), std::string::npos) << cli.out;
  EXPECT_TRUE(server.Alive());
}

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

// Bad configuration is refused at start with one line naming the problem.
TEST(ServiceConfigTest, BadConfigIsRefusedNamingFileAndLine) {
  TempDir dir;
  const std::string config = dir.File("serve.toml");
  WriteFile(config, "listen = \"127.0.0.1:0\"\nlisen = \"typo\"\n");
  ProcessResult r = RunProcess({CairnBinary(), "serve", "--config", config});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(config + ":2: unknown key 'lisen'"), std::string::npos) << r.err;

  WriteFile(config, "[[target]]\nname = \"x\"\n");
  r = RunProcess({CairnBinary(), "serve", "--config", config});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("needs database"), std::string::npos) << r.err;

  // No token configured: the server does not start unprotected.
  r = RunProcess({CairnBinary(), "serve", "--database", "sqlite:" + dir.File("t.db"), "--listen",
                  "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no bearer tokens configured"), std::string::npos) << r.err;

  WriteFile(dir.File("tokens"), "bob admin 0123456789abcdef0123\n");
  r = RunProcess({CairnBinary(), "serve", "--database", "sqlite:" + dir.File("t.db"),
                  "--tokens-file", dir.File("tokens")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find(dir.File("tokens") + ":1: unknown role 'admin'"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace cairn::testing
