// careledger serve: runs the service until SIGTERM or SIGINT, then drains
// in-flight requests and stops the projector and the writer.
#include <fmt/format.h>
#include <signal.h>

#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "service/config.h"
#include "service/serve_command.h"
#include "service/service.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

namespace careledger::service {

void RegisterServe(CLI::App& app, tools::Runner* run) {
  struct Flags {
    std::string config_file;
    bool insecure_http = false;
    std::string listen;
    bool replica = false;
    std::string node;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the HTTPS service: owns the writer, follows the log into the projection, records "
      "every read before it answers (docs/service.md)");
  serve->add_option("--config", flags->config_file,
                    "Configuration file (JSON; keys in docs/service.md); CARELEDGER_SERVE_* "
                    "environment variables override it. Secrets only as file paths.");
  serve->add_option("--listen", flags->listen, "HOST:PORT to listen on (port 0: any free port)");
  serve->add_flag("--insecure-http", flags->insecure_http,
                  "DEVELOPMENT ONLY: plain HTTP, no TLS, no device certificates");
  serve->add_flag("--replica", flags->replica,
                  "Run as a read replica (Kafka only; docs/replicas.md): no writer; answers the "
                  "plan read, recorded on access/<node> with the node's key; every other /v1 "
                  "route answers 421 naming writer_url");
  serve->add_option("--node", flags->node,
                    "The replica's node id (with --replica; its key: `careledger keys add-node`)");
  serve->callback([run, flags] {
    *run = [flags](const tools::Context& context) -> int {
      absl::StatusOr<ServeConfig> config = LoadServeConfig(flags->config_file);
      if (!config.ok()) return tools::ReportError(config.status(), context.json());
      if (flags->insecure_http) config->insecure_http = true;
      if (flags->replica != !flags->node.empty()) {
        return tools::ReportError(
            absl::InvalidArgumentError("--replica and --node <id> go together"), context.json());
      }
      if (flags->replica && !context.options().log.starts_with("kafka:")) {
        return tools::ReportError(
            absl::InvalidArgumentError(
                "serve --replica needs a Kafka log (--log kafka:HOST:PORT): a replica appends "
                "beside the writer, which the embedded log (one process) cannot take"),
            context.json());
      }
      config->replica_node = flags->node;
      if (!flags->listen.empty()) {
        const std::size_t colon = flags->listen.rfind(':');
        int port = -1;
        if (colon != std::string::npos) {
          const char* first = flags->listen.data() + colon + 1;
          const char* last = flags->listen.data() + flags->listen.size();
          const auto [end, error] = std::from_chars(first, last, port);
          if (error != std::errc() || end != last || first == last) port = -1;
        }
        if (colon == std::string::npos || port < 0 || port > 65535) {
          return tools::ReportError(absl::InvalidArgumentError(fmt::format(
                                        "--listen '{}' is not HOST:PORT", flags->listen)),
                                    context.json());
        }
        config->listen_host = flags->listen.substr(0, colon);
        config->listen_port = port;
      }
      if (config->insecure_http) {
        std::cerr << "\n*** WARNING: --insecure-http: plain HTTP WITHOUT TLS. Tokens, NHS "
                     "numbers and care plans cross the network in clear text and no device "
                     "certificate is checked. For development on this machine only. ***\n\n";
      }
      // SIGTERM and SIGINT are taken by one thread (sigwait) that stops the
      // server; every other thread inherits the blocked mask.
      sigset_t stop_signals;
      sigemptyset(&stop_signals);
      sigaddset(&stop_signals, SIGTERM);
      sigaddset(&stop_signals, SIGINT);
      pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

      absl::StatusOr<std::unique_ptr<Service>> service = Service::Open(context, *config);
      if (!service.ok()) return tools::ReportError(service.status(), context.json());
      absl::StatusOr<int> port = (*service)->Bind();
      if (!port.ok()) return tools::ReportError(port.status(), context.json());
      std::cout << nlohmann::json{{"listening", (*service)->Url(*port)}}.dump() << std::endl;

      std::thread watcher([&] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        if (signal_number == SIGTERM || signal_number == SIGINT) {
          std::cerr << R"({"event":"stopping","reason":"signal"})" << std::endl;
        }
        (*service)->Stop();
      });
      absl::Status served = (*service)->Serve();
      // Serve returned: either a signal stopped it (the watcher is done) or
      // the socket failed (wake the watcher with a signal of our own).
      if (!served.ok()) pthread_kill(watcher.native_handle(), SIGTERM);
      watcher.join();
      service->reset();  // stops the projector, then the writer
      std::cerr << R"({"event":"stopped"})" << std::endl;
      if (!served.ok()) return tools::ReportError(served, context.json());
      return tools::kExitOk;
    };
  });
}

}  // namespace careledger::service
