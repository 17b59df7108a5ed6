#include "service/bench_serve.h"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "ledger/dates.h"
#include "service/config.h"
#include "service/sample_client.h"
#include "service/service.h"
#include "tools/bench_scratch.h"
#include "tools/exit_codes.h"
#include "tools/ledger_init.h"
#include "tools/open_loop.h"
#include "tools/output.h"
#include "tools/sample_world.h"
#include "tools/synthetic.h"

namespace careledger::service {
namespace {

struct BenchServeFlags {
  double rate = 1000;          // urgent-care reads scheduled per second
  double seconds = 10;         // at that rate
  int connections = 16;        // client connections (open-loop workers)
  std::size_t patients = 200;  // published plans read at random
  bool find_max = false;       // also: the highest rate with p99 under --p99-target-ms
  double p99_target_ms = 50;
  int server_threads = 16;
  // At the full rate before the measurement, not counted; negative: the
  // log's default (WarmupSeconds).
  double warmup_seconds = -1;
  bool keep = false;
};

// A fresh Kafka broker runs slowly for its first minute or two under load,
// while its JIT compiles (p99 41-67 ms at 1,000 reads/s falling to 16-26 ms,
// docs/benchmarks.md): a warm-up long enough to measure the broker as it runs
// for days, not as it starts. The embedded log has no such start.
constexpr double kKafkaWarmupSeconds = 60;
constexpr double kEmbeddedWarmupSeconds = 5;

double WarmupSeconds(const BenchServeFlags& flags, bool kafka) {
  if (flags.warmup_seconds >= 0) return flags.warmup_seconds;
  return kafka ? kKafkaWarmupSeconds : kEmbeddedWarmupSeconds;
}

// The commands that give `patients` published plans: the sample directory,
// each plan started and completed, then approved (and read once).
std::vector<careledger::v1::Command> PublishedPlans(std::size_t patients) {
  const absl::CivilDay today = ledger::Today(absl::Now());
  const std::size_t directory = tools::SampleDirectoryCommands(today, "synthetic").size();
  const std::size_t sections =
      tools::CompletePlanSections(tools::SyntheticNhsNumber(1), today).size();
  const std::size_t events = directory + patients * (1 + sections) + 2 * patients;
  return tools::SyntheticPlanCommands(events, patients, today, /*approve_every=*/1);
}

// One keep-alive connection per open-loop worker.
std::vector<std::unique_ptr<httplib::SSLClient>> Connect(int port, int count,
                                                         const ClientCredentials& credentials) {
  std::vector<std::unique_ptr<httplib::SSLClient>> clients;
  for (int i = 0; i < count; ++i) clients.push_back(ConnectAs(credentials, port));
  return clients;
}

// The most /healthz answers a second the server gives `clients`, each
// asking again as soon as it is answered (closed loop: a ceiling, not a
// latency), for `seconds`.
double TrivialEndpointRate(std::vector<std::unique_ptr<httplib::SSLClient>>& clients,
                           double seconds) {
  std::atomic<std::size_t> answered{0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, raw = client.get()] {
      while (std::chrono::steady_clock::now() < until) {
        httplib::Result result = raw->Get("/healthz");
        if (result && result->status == 200) answered.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return static_cast<double>(answered.load()) / seconds;
}

// The writer's group commits so far, from the service's own /metrics: how
// many durable appends (fsyncs or Kafka transactions) carried how many
// commands. Zeros if the page cannot be read.
struct GroupCommits {
  double appends = 0;
  double commands = 0;
};

GroupCommits ScrapeGroupCommits(httplib::SSLClient& client) {
  GroupCommits counted;
  httplib::Result result = client.Get("/metrics");
  if (!result || result->status != 200) return counted;
  std::istringstream lines(result->body);
  for (std::string line; std::getline(lines, line);) {
    const auto value = [&](std::string_view name) {
      return std::stod(line.substr(name.size() + 1));
    };
    constexpr std::string_view kCount = "careledger_writer_group_commit_commands_count";
    constexpr std::string_view kSum = "careledger_writer_group_commit_commands_sum";
    if (line.starts_with(kCount)) counted.appends = value(kCount);
    if (line.starts_with(kSum)) counted.commands = value(kSum);
  }
  return counted;
}

tools::OpenLoopResult ReadAtRate(std::vector<std::unique_ptr<httplib::SSLClient>>& clients,
                                 const std::vector<std::string>& patients, double rate,
                                 double seconds) {
  std::vector<std::mt19937_64> random;
  for (std::size_t i = 0; i < clients.size(); ++i) random.emplace_back(i + 1);
  return tools::RunOpenLoop(
      {.rate_per_second = rate,
       .duration = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)),
       .workers = static_cast<int>(clients.size())},
      [&](int worker) {
        const std::string& nhs =
            patients[random[static_cast<std::size_t>(worker)]() % patients.size()];
        httplib::Result result = clients[static_cast<std::size_t>(worker)]->Get(
            fmt::format("/v1/patients/{}/plan?purpose=urgent%20care%20advice", nhs));
        return result && result->status == 200;
      });
}

nlohmann::json ResultJson(double rate, const tools::OpenLoopResult& result) {
  return {{"scheduled_per_second", rate},  {"achieved_per_second", result.achieved_per_second},
          {"succeeded", result.succeeded}, {"failed", result.failed},
          {"p50_ms", result.p50_ms},       {"p99_ms", result.p99_ms},
          {"p999_ms", result.p999_ms},     {"max_ms", result.max_ms}};
}

std::string ResultLine(double rate, const tools::OpenLoopResult& result) {
  return fmt::format(
      "  {:>6.0f}/s scheduled: {:>7.1f}/s answered 200 ({} failed), p50 {:.2f} ms, p99 {:.2f} ms, "
      "p99.9 {:.2f} ms, max {:.2f} ms",
      rate, result.achieved_per_second, result.failed, result.p50_ms, result.p99_ms, result.p999_ms,
      result.max_ms);
}

// A rate holds when nearly everything scheduled was answered 200 and the
// p99 is within the target.
bool Holds(const tools::OpenLoopResult& result, double p99_target_ms) {
  return result.failed == 0 && result.p99_ms <= p99_target_ms &&
         static_cast<double>(result.succeeded) >= 0.99 * static_cast<double>(result.scheduled);
}

int RunBenchServe(const BenchServeFlags& flags, const tools::Context& context) {
  auto scratch = tools::MakeScratch(context, flags.keep);
  tools::Context bench_context(scratch->options);
  const std::size_t patients = std::max<std::size_t>(flags.patients, 1);
  {
    absl::StatusOr<tools::InitializedLedger> created = tools::InitializeLedger(bench_context);
    if (!created.ok()) return tools::ReportError(created.status(), context.json());
    absl::StatusOr<std::unique_ptr<ledger::Writer>> writer =
        bench_context.OpenWriter(created->log.get());
    if (!writer.ok()) return tools::ReportError(writer.status(), context.json());
    for (const auto& result : (*writer)->SubmitAll(PublishedPlans(patients))) {
      if (!result.ok()) return tools::ReportError(result.status(), context.json());
      if (result->outcome() != careledger::v1::OUTCOME_APPLIED) {
        return tools::ReportError(
            absl::InternalError(
                fmt::format("setting up the bench: a command was refused: {}", result->error())),
            context.json());
      }
    }
  }
  std::vector<std::string> nhs_numbers;
  for (std::size_t p = 0; p < patients; ++p)
    nhs_numbers.push_back(tools::SyntheticNhsNumber(p + 1));

  ServeConfig config;
  config.listen_port = 0;
  config.threads = flags.server_threads;
  absl::StatusOr<std::unique_ptr<Service>> service = Service::Open(bench_context, config);
  if (!service.ok()) return tools::ReportError(service.status(), context.json());
  absl::StatusOr<int> port = (*service)->Bind();
  if (!port.ok()) return tools::ReportError(port.status(), context.json());
  std::thread serving([&] { (void)(*service)->Serve(); });
  const auto stop = [&] {
    (*service)->Stop();
    serving.join();
  };

  absl::StatusOr<ClientCredentials> credentials = SampleCrewCredentials(scratch->data_dir);
  if (!credentials.ok()) {
    stop();
    return tools::ReportError(credentials.status(), context.json());
  }
  std::vector<std::unique_ptr<httplib::SSLClient>> clients =
      Connect(*port, std::max(1, flags.connections), *credentials);

  // Warm up (connections, TLS sessions, caches; then at the full rate, the
  // log), then the limits, then the load.
  const bool kafka = bench_context.options().log != "embedded";
  const double warmup_seconds = WarmupSeconds(flags, kafka);
  ReadAtRate(clients, nhs_numbers, std::min(flags.rate, 200.0), 1.0);
  std::optional<tools::OpenLoopResult> warmup;
  if (warmup_seconds > 0) warmup = ReadAtRate(clients, nhs_numbers, flags.rate, warmup_seconds);
  const double healthz_per_second = TrivialEndpointRate(clients, 3.0);
  const GroupCommits commits_before = ScrapeGroupCommits(*clients.front());
  const tools::OpenLoopResult at_rate = ReadAtRate(clients, nhs_numbers, flags.rate, flags.seconds);
  const GroupCommits commits_after = ScrapeGroupCommits(*clients.front());
  const double appends_per_second =
      (commits_after.appends - commits_before.appends) / flags.seconds;
  const double reads_per_append = commits_after.appends > commits_before.appends
                                      ? (commits_after.commands - commits_before.commands) /
                                            (commits_after.appends - commits_before.appends)
                                      : 0.0;
  std::vector<std::pair<double, tools::OpenLoopResult>> ramp;
  double highest_holding = 0;
  if (flags.find_max) {
    for (double rate = 250; rate <= 20'000; rate *= 1.5) {
      tools::OpenLoopResult result = ReadAtRate(clients, nhs_numbers, rate, 5.0);
      ramp.emplace_back(rate, result);
      if (!Holds(result, flags.p99_target_ms)) break;
      highest_holding = rate;
    }
  }
  clients.clear();
  stop();
  const tools::CryptoBaseline baseline = tools::MeasureCryptoBaseline(1);

  const std::string log =
      kafka ? "kafka topic " + bench_context.options().topic : std::string("embedded");
  if (context.json()) {
    nlohmann::json ramp_json = nlohmann::json::array();
    for (const auto& [rate, result] : ramp) ramp_json.push_back(ResultJson(rate, result));
    tools::PrintJson({{"benchmark", "serve"},
                      {"log", log},
                      {"patients", patients},
                      {"connections", clients.size()},
                      {"warmup_seconds", warmup_seconds},
                      {"warmup", warmup ? ResultJson(flags.rate, *warmup) : nlohmann::json()},
                      {"at_rate", ResultJson(flags.rate, at_rate)},
                      {"healthz_per_second", healthz_per_second},
                      {"group_commits_per_second", appends_per_second},
                      {"reads_per_group_commit", reads_per_append},
                      {"ramp", ramp_json},
                      {"highest_rate_p99_within_target", highest_holding},
                      {"p99_target_ms", flags.p99_target_ms},
                      {"baseline", tools::BaselineJson(baseline)}});
  } else {
    std::cout << fmt::format(
        "bench serve: urgent-care reads over HTTPS (mutual TLS, bearer token), each recorded "
        "durably before its answer; {} published plans on the {} log, {} connections, open loop "
        "(latency from each request's scheduled time)\n",
        patients, log, std::max(1, flags.connections));
    if (warmup) {
      std::cout << fmt::format("  warm-up, not counted ({:.0f} s at the same rate):\n",
                               warmup_seconds)
                << ResultLine(flags.rate, *warmup) << "\n"
                << fmt::format("  measured ({:.0f} s):\n", flags.seconds);
    }
    std::cout << ResultLine(flags.rate, at_rate) << "\n";
    std::cout << fmt::format(
        "    group commits at that rate: {:.0f}/s (one fsync or Kafka transaction each), {:.1f} "
        "reads each on average\n",
        appends_per_second, reads_per_append);
    for (const auto& [rate, result] : ramp)
      std::cout << "  ramp" << ResultLine(rate, result) << "\n";
    if (flags.find_max) {
      std::cout << fmt::format("  highest rate tried with p99 <= {:.0f} ms: {:.0f}/s\n",
                               flags.p99_target_ms, highest_holding);
    }
    std::cout << fmt::format(
        "same server, trivial endpoint (/healthz, closed loop): {:.0f}/s\n"
        "  reads at rate / trivial endpoint = {:.0f}%\n",
        healthz_per_second, 100 * at_rate.achieved_per_second / healthz_per_second);
    tools::PrintBaseline(baseline);
    std::cout << fmt::format("  reads at rate / signing limit of one core = {:.1f}%\n",
                             100 * at_rate.achieved_per_second / baseline.sign_per_second_one_core);
  }
  return at_rate.failed == 0 ? tools::kExitOk : tools::kExitError;
}

}  // namespace

void RegisterBenchServe(CLI::App& app, tools::Runner* run) {
  CLI::App* bench = app.get_subcommand("bench");
  auto flags = std::make_shared<BenchServeFlags>();
  CLI::App* serve = bench->add_subcommand(
      "serve",
      "Urgent-care reads through the HTTPS service at a fixed arrival rate (open loop): "
      "achieved rate, p50, p99, p99.9, beside the server's trivial-endpoint rate and the "
      "Ed25519 signing limit");
  serve->add_option("--rate", flags->rate, "Reads scheduled per second")->capture_default_str();
  serve->add_option("--seconds", flags->seconds, "How long at that rate")->capture_default_str();
  serve->add_option("--connections", flags->connections, "Client connections")
      ->capture_default_str();
  serve->add_option("--patients", flags->patients, "Published plans, read at random")
      ->capture_default_str();
  serve->add_flag("--find-max", flags->find_max,
                  "Then raise the rate by half each step until p99 exceeds --p99-target-ms");
  serve->add_option("--p99-target-ms", flags->p99_target_ms, "With --find-max")
      ->capture_default_str();
  serve->add_option("--server-threads", flags->server_threads, "The service's request threads")
      ->capture_default_str();
  serve->add_option("--warmup-seconds", flags->warmup_seconds,
                    fmt::format("Reads at the full rate before the measurement, not counted but "
                                "printed (default: {:.0f} on Kafka, where a freshly started "
                                "broker's JIT compiles for a minute or two under load; {:.0f} on "
                                "the embedded log)",
                                kKafkaWarmupSeconds, kEmbeddedWarmupSeconds));
  serve->add_flag("--keep", flags->keep, "Keep the scratch data directory");
  serve->callback([run, flags] {
    *run = [flags](const tools::Context& context) { return RunBenchServe(*flags, context); };
  });
}

}  // namespace careledger::service
