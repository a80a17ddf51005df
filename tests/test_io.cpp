// Pictures, plots, progress lines and option tables (torch-free): DOT text of the three space
// families, rendering with Graphviz, metrics.jsonl parsing, the gnuplot data and script, progress
// formatting, the options' flags, bounds and recorded configuration.
#include "catch2_compat.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enas/core/controller_options.hpp"
#include "enas/io/config_json.hpp"
#include "enas/io/external_tool.hpp"
#include "enas/io/progress.hpp"
#include "enas/report/dot.hpp"
#include "enas/report/plot.hpp"
#include "enas/spaces.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/lm_options.hpp"

namespace fs = std::filesystem;
using enas::test::Contains;

namespace {

// The published architectures (seed-architectures.md).
const char* kPtbArc = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1";
const char* kMicroArc = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1";
const char* kMacroArc =
    "0\n3 0\n0 1 0\n2 0 0 1\n2 0 0 0 0\n3 1 1 0 1 0\n2 0 0 0 0 0 1\n2 0 1 1 0 1 1 1\n1 0 1 1 1 0 1 0 1\n"
    "0 0 0 0 0 0 0 0 0 0\n2 0 0 0 0 0 1 0 0 0 0\n0 1 0 0 1 1 0 0 0 0 1 1\n2 0 1 0 0 0 0 0 1 0 1 1 0\n"
    "1 0 0 1 0 0 0 1 1 1 0 1 0 1\n0 1 1 0 1 0 1 0 0 0 0 0 1 0 0\n2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1\n"
    "2 0 1 0 0 0 1 0 0 1 1 1 1 0 0 1 0\n2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1\n"
    "3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0\n3 0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 1\n"
    "0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0\n3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 1 0 0\n"
    "0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0\n0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0\n";

using Edge = std::pair<std::string, std::string>;

/// Every `from -> to` of a DOT text, as a set (each picture draws an edge once).
std::set<Edge> edges_of(const std::string& dot, std::string_view attribute = {}) {
  static const std::regex kEdge(R"(^\s*(\w+) -> (\w+)(.*)$)");
  std::set<Edge> edges;
  std::istringstream lines(dot);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (!std::regex_match(line, m, kEdge)) continue;
    if (!attribute.empty() && m[3].str().find(attribute) == std::string::npos) continue;
    const bool inserted = edges.emplace(m[1].str(), m[2].str()).second;
    CHECK(inserted);
  }
  return edges;
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& file, const std::string& text) { std::ofstream(file, std::ios::binary) << text; }

bool is_png(const fs::path& file) { return read_file(file).rfind("\x89PNG\r\n\x1a\n", 0) == 0; }

/// A fresh folder under the system's temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("enas_test_io_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// PATH without any external tool for the lifetime of the object.
class NoToolsOnPath {
 public:
  NoToolsOnPath() {
    const char* path = std::getenv("PATH");
    saved_ = path != nullptr ? path : "";
    ::setenv("PATH", "/nonexistent-enas-test-dir", 1);
  }
  ~NoToolsOnPath() { ::setenv("PATH", saved_.c_str(), 1); }
  NoToolsOnPath(const NoToolsOnPath&) = delete;
  NoToolsOnPath& operator=(const NoToolsOnPath&) = delete;

 private:
  std::string saved_;
};

/// Runs Graphviz on the text when it is installed: the DOT must be accepted.
void check_dot_accepts(const std::string& dot) {
  const auto program = enas::io::find_program("dot");
  if (!program) {
    WARN("Graphviz dot is not installed: DOT syntax not checked");
    return;
  }
  TempDir dir;
  write_file(dir.path() / "picture.dot", dot);
  const auto run = enas::io::run_program(*program, {"-Tcanon", (dir.path() / "picture.dot").string(), "-o", "/dev/null"});
  INFO(run.errors);
  CHECK(run.exit_status == 0);
  CHECK(run.errors.empty());
}

/// An activation whose name needs escaping in DOT.
struct QuotedActivation {
  static constexpr std::string_view name = "say \"hi\" \\ back";
  template <class T>
  static T forward(const T& x) {
    return x;
  }
  template <class T>
  static T backward(const T& grad, const T& /*x*/, const T& /*y*/) {
    return grad;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// DOT pictures

TEST_CASE("the published PTB cell as DOT: predecessor edges, activations, loose ends averaged", "[io][dot]") {
  using Space = enas::spaces::PtbEnas;
  const std::string dot = enas::report::to_dot<Space>(Space::parse(kPtbArc));
  const std::set<Edge> expected{
      {"x_t", "n0"},  {"h_prev", "n0"}, {"n0", "n1"},   {"n1", "n2"},  {"n2", "n3"},   {"n2", "n4"},  {"n2", "n5"},
      {"n5", "n6"},   {"n1", "n7"},     {"n6", "n8"},   {"n8", "n9"},  {"n8", "n10"},  {"n8", "n11"}, {"n3", "avg"},
      {"n4", "avg"},  {"n7", "avg"},    {"n9", "avg"},  {"n10", "avg"}, {"n11", "avg"}, {"avg", "h_t"}};
  CHECK(edges_of(dot) == expected);
  // Nodes are labelled with their number and activation: 0 tanh, 2 ReLU, ...
  const std::vector<std::string> act{"tanh", "tanh", "relu", "relu", "tanh", "tanh",
                                     "relu", "tanh", "relu", "relu", "relu", "relu"};
  for (std::size_t i = 0; i < act.size(); ++i) {
    CHECK_THAT(dot, Contains("n" + std::to_string(i) + " [label=\"" + std::to_string(i) + "\\n" + act[i] + "\""));
  }
  CHECK_THAT(dot, Contains("x_t [label=\"x[t]\"") && Contains("h_prev [label=\"h[t-1]\"") &&
                      Contains("avg [label=\"avg\"") && Contains("h_t [label=\"h[t]\""));
  CHECK(dot.rfind("digraph ptb_cell {\n", 0) == 0);
  CHECK(enas::report::to_dot<Space>(Space::parse(kPtbArc)) == dot);  // deterministic
  check_dot_accepts(dot);
}

TEST_CASE("the published micro cells as DOT: two op boxes per node, add nodes, unused nodes concatenated",
          "[io][dot]") {
  using Space = enas::spaces::MicroEnas;
  const std::string dot = enas::report::to_dot<Space>(Space::parse(kMicroArc));
  struct Input {
    int node;
    const char* op;
  };
  struct Expected {
    const char* cell;
    std::vector<std::pair<Input, Input>> nodes;  // nodes 2..6
    std::vector<int> concat;
  };
  // architecture-strings.md: normal n2 = avg(0) + sep3(0), ...; reduce n2 = sep3(1) + sep3(1), ...
  const std::vector<Expected> cells{
      {"normal",
       {{{0, "avg 3x3"}, {0, "sep 3x3"}},
        {{0, "identity"}, {0, "sep 5x5"}},
        {{0, "identity"}, {1, "sep 5x5"}},
        {{1, "sep 3x3"}, {0, "sep 5x5"}},
        {{0, "avg 3x3"}, {1, "sep 5x5"}}},
       {2, 3, 4, 5, 6}},
      {"reduce",
       {{{1, "sep 3x3"}, {1, "sep 3x3"}},
        {{0, "max 3x3"}, {0, "avg 3x3"}},
        {{1, "sep 5x5"}, {3, "sep 5x5"}},
        {{1, "sep 3x3"}, {0, "identity"}},
        {{0, "max 3x3"}, {1, "sep 5x5"}}},
       {2, 4, 5, 6}},
  };
  std::set<Edge> expected;
  for (const auto& cell : cells) {
    const std::string p = cell.cell;
    const auto id = [&](int node) { return p + "_n" + std::to_string(node); };
    CHECK_THAT(dot, Contains(id(0) + " [label=\"h[i-2]\"") && Contains(id(1) + " [label=\"h[i-1]\""));
    for (int k = 2; k < 7; ++k) {
      const auto& [x, y] = cell.nodes[static_cast<std::size_t>(k - 2)];
      INFO(p << " node " << k);
      CHECK_THAT(dot, Contains(id(k) + "_x [label=\"" + x.op + "\""));
      CHECK_THAT(dot, Contains(id(k) + "_y [label=\"" + y.op + "\""));
      CHECK_THAT(dot, Contains(id(k) + " [label=\"add\\n(node " + std::to_string(k) + ")\""));
      expected.insert({{id(x.node), id(k) + "_x"}, {id(y.node), id(k) + "_y"}, {id(k) + "_x", id(k)}, {id(k) + "_y", id(k)}});
    }
    for (const int n : cell.concat) expected.insert({id(n), p + "_concat"});
    expected.insert({p + "_concat", p + "_out"});
  }
  CHECK(edges_of(dot) == expected);
  CHECK_THAT(dot, Contains("subgraph cluster_normal {") && Contains("label=\"normal cell\"") &&
                      Contains("subgraph cluster_reduce {") && Contains("label=\"reduction cell\""));
  CHECK(enas::report::to_dot<Space>(Space::parse(kMicroArc)) == dot);
  check_dot_accepts(dot);
}

TEST_CASE("macro networks as DOT: the chain through the pooling points, one dashed edge per skip bit", "[io][dot]") {
  SECTION("a 6-layer network") {
    using Space = enas::spaces::MacroOf<6>;
    // Layer 5 = max pool with skips from the stem (bit 0), layer 0 (bit 1) and layer 3 (bit 4).
    const auto arch = Space::parse("1  0 1  2 0 1  3 1 0 0  4 0 0 0 1  5 1 1 0 0 1");
    const std::string dot = enas::report::to_dot<Space>(arch);
    const std::set<Edge> skips{{"stem", "l1"}, {"l0", "l2"}, {"stem", "l3"}, {"l2", "l4"},
                               {"stem", "l5"}, {"l0", "l5"}, {"l3", "l5"}};
    CHECK(edges_of(dot, "style=dashed") == skips);
    CHECK(arch.skip_count() == 7);
    // Pooling after layers 1 and 3 (L/3 - 1, 2L/3 - 1).
    const std::set<Edge> chain{{"stem", "l0"}, {"l0", "l1"},    {"l1", "pool0"}, {"pool0", "l2"},
                               {"l2", "l3"},   {"l3", "pool1"}, {"pool1", "l4"}, {"l4", "l5"}};
    CHECK(edges_of(dot, "penwidth=1.5") == chain);
    CHECK(edges_of(dot).size() == chain.size() + skips.size());
    CHECK_THAT(dot, Contains("l0 [label=\"layer 0\\nsep 3x3\"") && Contains("l5 [label=\"layer 5\\nmax 3x3\"") &&
                        Contains("pool0 [label=\"pooling after layer 1") && Contains("pool1 [label=\"pooling after layer 3"));
    check_dot_accepts(dot);
  }
  SECTION("the published 24-layer network") {
    using Space = enas::spaces::MacroEnas24;
    const auto arch = Space::parse(kMacroArc);
    const std::string dot = enas::report::to_dot<Space>(arch);
    CHECK(edges_of(dot, "style=dashed").size() == 98);
    CHECK(count_of(dot, "style=dashed") == static_cast<std::size_t>(arch.skip_count()));
    CHECK(edges_of(dot, "style=dashed").count({"stem", "l5"}) == 1);  // layer 5: "3 1 1 0 1 0"
    CHECK(edges_of(dot, "style=dashed").count({"l0", "l5"}) == 1);
    CHECK(edges_of(dot, "style=dashed").count({"l1", "l5"}) == 0);
    CHECK(edges_of(dot, "style=dashed").count({"l2", "l5"}) == 1);
    CHECK_THAT(dot, Contains("pooling after layer 7") && Contains("pooling after layer 15") &&
                        Contains("l23 [label=\"layer 23\\nconv 3x3\""));
    check_dot_accepts(dot);
  }
}

TEST_CASE("DOT labels are quoted and escaped", "[io][dot]") {
  CHECK(enas::report::dot_quote("plain") == "\"plain\"");
  CHECK(enas::report::dot_quote("a \"b\" \\ c\nd") == "\"a \\\"b\\\" \\\\ c\\nd\"");
  using Space = enas::spaces::PtbCell<3, QuotedActivation>;
  const std::string dot = enas::report::to_dot<Space>(Space::parse("0 0 0 0 0"));
  CHECK_THAT(dot, Contains("n1 [label=\"1\\nsay \\\"hi\\\" \\\\ back\""));
  check_dot_accepts(dot);
}

TEST_CASE("render_dot writes .dot, and .png and .svg when Graphviz is installed", "[io][dot]") {
  TempDir dir;
  using Space = enas::spaces::PtbEnas;
  const std::string dot = enas::report::to_dot<Space>(Space::parse(kPtbArc));
  const fs::path out = dir.path() / "pictures" / "cell";  // the folder is created

  SECTION("with Graphviz") {
    if (!enas::io::find_program("dot")) {
      WARN("Graphviz dot is not installed: rendering not checked");
      return;
    }
    const auto written = enas::report::render_dot(dot, out);
    CHECK(written.message.empty());
    REQUIRE(written.files == std::vector<fs::path>{out.string() + ".dot", out.string() + ".png", out.string() + ".svg"});
    CHECK(read_file(written.files[0]) == dot);
    CHECK(is_png(written.files[1]));
    CHECK_THAT(read_file(written.files[2]), Contains("<svg"));
  }
  SECTION("without Graphviz: the .dot and a message saying what to install") {
    NoToolsOnPath no_tools;
    const auto written = enas::report::render_dot(dot, out);
    CHECK(written.files == std::vector<fs::path>{out.string() + ".dot"});
    CHECK(read_file(written.files[0]) == dot);
    CHECK_THAT(written.message, Contains("not on PATH") && Contains("apt-get install graphviz") &&
                                    Contains(out.string() + ".dot"));
    CHECK_FALSE(fs::exists(out.string() + ".png"));
  }
  SECTION("an unwritable path is a ConfigError naming it") {
    write_file(dir.path() / "file", "not a folder");
    CHECK_THROWS_AS(enas::report::render_dot(dot, dir.path() / "file" / "cell"), enas::ConfigError);
    CHECK_THROWS_WITH(enas::report::render_dot(dot, dir.path() / "file" / "cell"),
                      Contains((dir.path() / "file").string()));
  }
  SECTION("text that dot rejects is a DataError with dot's message") {
    if (!enas::io::find_program("dot")) return;
    CHECK_THROWS_AS(enas::report::render_dot("digraph { a -> }", out), enas::DataError);
    CHECK_THROWS_WITH(enas::report::render_dot("digraph { a -> }", out),
                      Contains("dot -Tpng " + out.string() + ".dot exited with status") && Contains("syntax error"));
  }
}

// ---------------------------------------------------------------------------------------------
// metrics.jsonl and plots

namespace {

// What RunLog writes, plus keys and events the plots do not use.
const char* kMetrics =
    R"({"epoch":0,"event":"child","grad_norm":5.9,"loss":249.25,"lr":20.0,"mins":1.79,"step":100,"tr_ppl":4168.5,"arc":"0 0"})"
    "\n"
    R"({"epoch":0,"event":"child","grad_norm":8.1,"loss":null,"lr":20.0,"mins":2.8,"step":200,"tr_ppl":1970.25,"future_key":[1,2]})"
    "\n\n"
    R"({"event":"controller","ctrl_step":1,"loss":0.5,"entropy":11.5,"lr":0.001,"grad_norm":0.1,"reward":0.8,"baseline":0.75,"arc":"1 0","mins":3.0})"
    "\n"
    R"({"event":"controller","ctrl_step":1,"loss":0.4,"entropy":11.25,"lr":0.001,"grad_norm":0.1,"reward":0.85,"baseline":0.76,"arc":"1 1","skip_rate":0.4})"
    "\n"
    R"({"epoch":1,"event":"eval","mins":5.26,"step":414,"valid_ppl":489.5})"
    "\n"
    R"({"event":"derive","arc":"0 0","rw":1.5,"mins":6.0})"
    "\n"
    R"({"note":"a line without an event"})"
    "\n"
    R"({"epoch":2,"event":"eval","step":828,"valid_ppl":358.5})"
    "\n"
    R"({"epoch":2,"event":"eval","step":828,"test_ppl":346.25})"
    "\n";

}  // namespace

TEST_CASE("metrics.jsonl: child, controller and eval events read, other events and keys skipped", "[io][plot]") {
  TempDir dir;
  write_file(dir.path() / "metrics.jsonl", kMetrics);
  const auto m = enas::report::read_metrics(dir.path() / "metrics.jsonl");
  REQUIRE(m.child.size() == 2);
  CHECK(m.child[0].step == 100);
  CHECK(m.child[0].loss == 249.25);
  CHECK(m.child[0].lr == 20.0);
  CHECK(m.child[0].training[0] == 4168.5);  // tr_ppl
  CHECK(std::isnan(m.child[0].training[1]));  // no tr_acc
  CHECK(std::isnan(m.child[1].loss));         // null: a non-finite loss
  REQUIRE(m.controller.size() == 2);
  CHECK(m.controller[1].step == 1);
  CHECK(m.controller[1].entropy == 11.25);
  CHECK(m.controller[1].reward == 0.85);
  CHECK(m.controller[1].baseline == 0.76);
  REQUIRE(m.eval.size() == 3);
  CHECK(enas::report::kEvalMetrics[m.eval[0].metric] == "valid_ppl");
  CHECK(m.eval[0].epoch == 1);
  CHECK(m.eval[0].value == 489.5);
  CHECK(enas::report::kEvalMetrics[m.eval[2].metric] == "test_ppl");
  CHECK(m.eval[2].value == 346.25);
}

TEST_CASE("a malformed metrics line is an error naming the file and the line", "[io][plot]") {
  TempDir dir;
  const fs::path file = dir.path() / "metrics.jsonl";
  const std::string good = R"({"event":"child","step":1,"loss":2.0})"
                           "\n";
  const auto error_for = [&](const std::string& third_line) {
    write_file(file, good + good + third_line + "\n" + good);
    try {
      enas::report::read_metrics(file);
    } catch (const enas::DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_for(R"({"event":"child","step":3,"loss":)"),
             Contains(file.string() + " line 3") && Contains("not valid JSON"));
  CHECK_THAT(error_for("[1, 2]"), Contains(file.string() + " line 3") && Contains("expected a JSON object"));
  CHECK_THAT(error_for(R"({"event":"child","step":3})"),
             Contains(file.string() + " line 3") && Contains("child event has no \"loss\""));
  CHECK_THAT(error_for(R"({"event":"controller","ctrl_step":1,"reward":"high"})"),
             Contains(file.string() + " line 3") && Contains("\"reward\" is \"high\", expected a number"));
  CHECK_THAT(error_for(R"({"event":7})"), Contains(file.string() + " line 3") && Contains("expected a string"));
  CHECK_THROWS_WITH(enas::report::read_metrics(dir.path() / "absent.jsonl"),
                    Contains("cannot read the metrics file " + (dir.path() / "absent.jsonl").string()));
  CHECK_THROWS_WITH(enas::report::plot_run(dir.path() / "nothing_here"), Contains("no metrics.jsonl in"));
}

TEST_CASE("plot data and gnuplot script, and PNG and SVG when gnuplot is installed", "[io][plot]") {
  TempDir dir;
  const fs::path run = dir.path() / "run";
  fs::create_directories(run);
  write_file(run / "metrics.jsonl", kMetrics);
  const fs::path plots = run / "plots";

  SECTION("data files and script") {
    const auto m = enas::report::read_metrics(run / "metrics.jsonl");
    const auto files = enas::report::write_plot_sources(m, plots, "run");
    CHECK(files == std::vector<fs::path>{plots / "child.dat", plots / "controller.dat", plots / "eval_valid_ppl.dat",
                                         plots / "eval_test_ppl.dat", plots / "plots.gp"});
    CHECK(read_file(plots / "child.dat") ==
          "# step epoch loss lr grad_norm tr_ppl\n100 0 249.25 20 5.9 4168.5\n200 0 NaN 20 8.1 1970.25\n");
    CHECK(read_file(plots / "controller.dat") ==
          "# ctrl_step loss entropy reward baseline\n1 0.5 11.5 0.8 0.75\n1 0.4 11.25 0.85 0.76\n");
    CHECK(read_file(plots / "eval_valid_ppl.dat") == "# epoch step valid_ppl\n1 414 489.5\n2 828 358.5\n");
    CHECK(read_file(plots / "eval_test_ppl.dat") == "# epoch step test_ppl\n2 828 346.25\n");
    const std::string script = read_file(plots / "plots.gp");
    CHECK(script == enas::report::gnuplot_script(m, "run"));
    for (const char* chart : {"child_loss", "child_tr_ppl", "eval_ppl", "controller_reward", "controller_entropy"}) {
      INFO(chart);
      CHECK_THAT(script, Contains("set output '" + std::string(chart) + ".png'") &&
                             Contains("set output '" + std::string(chart) + ".svg'"));
    }
    CHECK_THAT(script, !Contains("eval_acc") && !Contains("tr_acc") && Contains("pngcairo") &&
                           Contains("'eval_test_ppl.dat' using 1:3"));
  }
  SECTION("plot_run draws every chart with gnuplot") {
    if (!enas::io::find_program("gnuplot")) {
      WARN("gnuplot is not installed: drawing not checked");
      return;
    }
    const auto written = enas::report::plot_run(run);
    CHECK(written.message.empty());
    REQUIRE(written.files.size() == 5 + 10);
    for (const char* chart : {"child_loss", "child_tr_ppl", "eval_ppl", "controller_reward", "controller_entropy"}) {
      INFO(chart);
      CHECK(is_png(plots / (std::string(chart) + ".png")));
      CHECK_THAT(read_file(plots / (std::string(chart) + ".svg")), Contains("<svg"));
    }
  }
  SECTION("without gnuplot: the data, the script and a message saying what to install") {
    NoToolsOnPath no_tools;
    const auto written = enas::report::plot_run(run);
    CHECK(written.files.size() == 5);
    CHECK(fs::exists(plots / "plots.gp"));
    CHECK_FALSE(fs::exists(plots / "child_loss.png"));
    CHECK_THAT(written.message, Contains("apt-get install gnuplot-nox") && Contains(plots.string()) &&
                                    Contains("gnuplot plots.gp"));
  }
  SECTION("a run without plottable events") {
    write_file(run / "metrics.jsonl", R"({"event":"best_arc","arc":"0 0"})"
                                      "\n");
    const auto written = enas::report::plot_run(run);
    CHECK(written.files.empty());
    CHECK_THAT(written.message, Contains("nothing to plot"));
  }
}

// ---------------------------------------------------------------------------------------------
// Progress

TEST_CASE("progress formatting: durations, rates, lines", "[io][progress]") {
  using enas::io::format_duration;
  using enas::io::format_rate;
  CHECK(format_duration(0.0) == "0s");
  CHECK(format_duration(42.4) == "42s");
  CHECK(format_duration(59.6) == "1m00s");
  CHECK(format_duration(303.0) == "5m03s");
  CHECK(format_duration(2 * 3600.0 + 5 * 60.0 + 7.0) == "2h05m");
  CHECK(format_duration(-1.0) == "?");
  CHECK(format_duration(std::nan("")) == "?");
  CHECK(format_duration(HUGE_VAL) == "?");

  CHECK(format_rate(4567.2) == "4567");
  CHECK(format_rate(12.34) == "12.3");
  CHECK(format_rate(1.234) == "1.23");
  CHECK(format_rate(0.0421) == "0.042");
  CHECK(format_rate(0.0) == "0");
  CHECK(format_rate(std::nan("")) == "?");

  // 3766 steps left at 12.3 steps/s: 306 s.
  CHECK(enas::io::progress_line("train", 1234, 5000, "images", 64, 12.3) ==
        "train 1234/5000 steps 12.3 steps/s 787 images/s ETA 5m06s");
  CHECK(enas::io::progress_line("eval", 10, 0, "steps", 1, 2.5) == "eval 10 steps 2.50 steps/s");
  CHECK(enas::io::progress_line("train", 1, 100, "steps", 1, std::nan("")) == "train 1/100 steps ? steps/s ETA ?");
  CHECK(enas::io::progress_line("train", 100, 100, "words", 700, 2.0) ==
        "train 100/100 steps 2.00 steps/s 1400 words/s ETA 0s");
  CHECK(enas::io::progress_summary("train", 5000, 5000, "images", 128, 12.3, 405.0) ==
        "train 5000/5000 steps 12.3 steps/s 1574 images/s in 6m45s");
}

TEST_CASE("progress off a terminal: one plain line per interval at most", "[io][progress]") {
  std::ostringstream out;
  double now = 0.0;
  {
    enas::io::Progress progress("train", 100, "images", 64, out, /*terminal=*/false, [&] { return now; });
    for (int step = 1; step <= 100; ++step) {
      now = step;  // one step per second
      progress.tick(step);
    }
    now = 101.0;
    progress.finish();
    progress.finish();  // once only
  }
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // Lines at 30, 60 and 90 s; the rate counts from the first tick (step 1 at 1 s).
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "train 30/100 steps 1.00 steps/s 64.0 images/s ETA 1m10s");
  CHECK(lines[1] == "train 60/100 steps 1.00 steps/s 64.0 images/s ETA 40s");
  CHECK(lines[2] == "train 90/100 steps 1.00 steps/s 64.0 images/s ETA 10s");
  CHECK(lines[3] == "train 100/100 steps 0.99 steps/s 63.4 images/s in 1m41s");
  CHECK(out.str().find('\r') == std::string::npos);
  CHECK(out.str().find('\x1b') == std::string::npos);
}

TEST_CASE("progress on a terminal: one line redrawn at most four times a second", "[io][progress]") {
  std::ostringstream out;
  double now = 0.0;
  enas::io::Progress progress("epoch 1", 20, "steps", 1, out, /*terminal=*/true, [&] { return now; });
  for (int step = 1; step <= 20; ++step) {
    now = step / 10.0;  // ten steps per second
    progress.tick(step);
  }
  // Drawn at 0.1 s (first tick), 0.4, 0.7, 1.0, 1.3, 1.6, 1.9 s, and at the last step.
  CHECK(count_of(out.str(), "\r") == 8);
  CHECK(out.str().find('\n') == std::string::npos);
  CHECK_THAT(out.str(), Contains("\repoch 1 20/20 steps 10.0 steps/s ETA 0s\x1b[K"));
  progress.clear();
  CHECK_THAT(out.str(), Contains("ETA 0s\x1b[K\r\x1b[K"));
  progress.finish();
  CHECK_THAT(out.str(), Contains("\repoch 1 20/20 steps 10.0 steps/s in 2s\x1b[K\n"));
}

namespace {

template <class Options>
std::vector<std::string> flags_of(unsigned skip_tags = 0) {
  std::vector<std::string> flags;
  enas::option::for_each_field<Options>([&](const auto& field) {
    if ((field.tags & skip_tags) == 0) flags.emplace_back(field.flag);
  });
  return flags;
}

template <class Options>
std::set<std::string> json_keys(const Options& o) {
  std::set<std::string> keys;
  const auto json = enas::io::to_json(o);
  for (const auto& item : json.items()) keys.insert(item.key());
  return keys;
}

std::string refusal(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const enas::ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("option tables: the reference's flag names, each once, and the recorded configuration as before", "[io][options]") {
  // enas-reference.md §2.1/§2.2: the PTB flags a reference script passes that set an LmOptions
  // member, plus the library's run-control flags test_window, max_steps, derive_samples, cuda_graphs,
  // sync_bn and the three nonfinite_* of the recovery from non-finite steps.
  const std::set<std::string> lm{"batch_size", "child_bptt_steps", "num_epochs", "child_lstm_hidden_size",
                                 "child_lstm_e_keep", "child_lstm_x_keep", "child_lstm_h_keep", "child_lstm_o_keep",
                                 "child_grad_bound", "child_lr", "child_lr_dec_start", "child_lr_dec_every",
                                 "child_lr_dec_rate", "child_lr_dec_min", "child_l2_reg", "child_rnn_slowness_reg",
                                 "eval_every_epochs", "log_every", "controller_training", "controller_train_every",
                                 "test_window", "max_steps", "derive_samples", "cuda_graphs", "sync_bn",
                                 "nonfinite_patience", "nonfinite_restores", "nonfinite_lr_factor"};
  const auto lm_flags = flags_of<enas::train::LmOptions>();
  CHECK(std::set<std::string>(lm_flags.begin(), lm_flags.end()) == lm);
  CHECK(lm_flags.size() == lm.size());  // none twice
  // A final program has no controller, derives nothing, and its model has no batch norm.
  const auto final_flags = flags_of<enas::train::LmOptions>(enas::option::kSearchOnly);
  CHECK(final_flags.size() == lm.size() - 4);
  CHECK(std::find(final_flags.begin(), final_flags.end(), "controller_training") == final_flags.end());
  CHECK(std::find(final_flags.begin(), final_flags.end(), "sync_bn") == final_flags.end());
  // A search program has no graphed final step.
  const auto search_flags = flags_of<enas::train::LmOptions>(enas::option::kFinalOnly);
  CHECK(search_flags.size() == lm.size() - 1);
  CHECK(std::find(search_flags.begin(), search_flags.end(), "cuda_graphs") == search_flags.end());

  // What a checkpoint records: the keys the configuration had when each was written out by hand
  // (run control — epochs, logging, max_steps, derive_samples, test_window — left out).
  CHECK(json_keys(enas::train::LmOptions{}) ==
        std::set<std::string>{"batch_size", "child_bptt_steps", "child_lstm_hidden_size", "child_lstm_e_keep",
                              "child_lstm_x_keep", "child_lstm_h_keep", "child_lstm_o_keep", "child_grad_bound",
                              "child_lr", "child_lr_dec_start", "child_lr_dec_every", "child_lr_dec_rate",
                              "child_lr_dec_min", "child_l2_reg", "child_rnn_slowness_reg", "eval_every_epochs",
                              "controller_training", "controller_train_every"});
  CHECK(json_keys(enas::train::ImageOptions{}) ==
        std::set<std::string>{"batch_size", "child_num_layers", "child_out_filters", "child_keep_prob",
                              "child_drop_path_keep_prob", "child_use_aux_heads", "child_cutout_size", "child_l2_reg",
                              "child_grad_bound", "child_lr_max", "child_lr_min", "child_lr_T_0", "child_lr_T_mul",
                              "eval_every_epochs", "controller_training", "controller_train_every", "channels_last"});
  CHECK(json_keys(enas::ControllerOptions{}) ==
        std::set<std::string>{"controller_lstm_size", "controller_tanh_constant", "controller_op_tanh_reduce",
                              "controller_temperature", "controller_entropy_weight", "controller_bl_dec",
                              "controller_lr", "controller_l2_reg", "controller_skip_target", "controller_skip_weight",
                              "controller_train_steps", "controller_num_aggregate"});
  // NAS-Bench-201 has no dropout, drop-path or auxiliary head: those three flags carry the tag.
  const auto image_flags = flags_of<enas::train::ImageOptions>();
  const auto nb201_flags = flags_of<enas::train::ImageOptions>(enas::train::ImageOptions::kReferenceChild);
  CHECK(image_flags.size() - nb201_flags.size() == 3);

  // The values go through unchanged, by flag name.
  auto o = enas::train::LmOptions::final_defaults();
  const auto json = enas::io::to_json(o);
  CHECK(json.at("child_lstm_hidden_size") == 748);
  CHECK(json.at("child_lr") == 20.0);
  CHECK(json.at("controller_training") == false);
}

TEST_CASE("option bounds: a refusal names the flag, the value and what was expected", "[io][options]") {
  using enas::option::above;
  using enas::option::above_up_to;
  using enas::option::at_least;
  using enas::option::within;
  CHECK(at_least(1).describe() == ">= 1");
  CHECK(above(0).describe() == "> 0");
  CHECK(above_up_to(0, 1).describe() == "in (0, 1]");
  CHECK(within(0, 32).describe() == "in [0, 32]");
  CHECK(enas::option::any().describe().empty());
  CHECK(above_up_to(0, 1).holds(1.0));
  CHECK_FALSE(above_up_to(0, 1).holds(0.0));
  CHECK_FALSE(at_least(0).holds(std::nan("")));

  CHECK_NOTHROW(enas::train::LmOptions::search_defaults().validate());
  CHECK_NOTHROW(enas::train::LmOptions::final_defaults().validate());
  for (const auto& o : {enas::train::ImageOptions::macro_search_defaults(), enas::train::ImageOptions::macro_final_defaults(),
                        enas::train::ImageOptions::micro_search_defaults(), enas::train::ImageOptions::micro_final_defaults()}) {
    CHECK_NOTHROW(o.validate());
  }
  CHECK_NOTHROW(enas::spaces::PtbEnas::controller_defaults().validate());
  CHECK_NOTHROW(enas::spaces::MicroEnas::controller_defaults().validate());
  CHECK_NOTHROW(enas::spaces::MacroEnas::controller_defaults().validate());

  auto lm = enas::train::LmOptions::search_defaults();
  lm.batch_size = 0;
  CHECK(refusal([&] { lm.validate(); }) == "--batch_size=0: expected >= 1 (minibatch size B)");
  lm = enas::train::LmOptions::search_defaults();
  lm.e_keep = 0.0;
  CHECK(refusal([&] { lm.validate(); }) == "--child_lstm_e_keep=0: expected in (0, 1] (word-embedding dropout keep)");
  lm = enas::train::LmOptions::search_defaults();
  lm.lr = std::nan("");
  CHECK_THAT(refusal([&] { lm.validate(); }), Contains("--child_lr=nan: expected > 0"));

  auto image = enas::train::ImageOptions::micro_search_defaults();
  image.out_filters = 7;
  CHECK_THAT(refusal([&] { image.validate(); }), Contains("--child_out_filters=7: expected an even number"));
  image = enas::train::ImageOptions::micro_search_defaults();
  image.lr_min = 0.1;
  CHECK(refusal([&] { image.validate(); }) == "--child_lr_max=0.05: expected >= --child_lr_min (0.1)");
  image = enas::train::ImageOptions::micro_search_defaults();
  image.cutout_size = 33;
  CHECK(refusal([&] { image.validate(); }) == "--child_cutout_size=33: expected in [0, 32] (cutout square size (0: off))");

  auto controller = enas::spaces::MicroEnas::controller_defaults();
  controller.bl_dec = 1.5;
  CHECK(refusal([&] { controller.validate(); }) == "--controller_bl_dec=1.5: expected in [0, 1] (baseline decay)");
  controller = enas::spaces::MicroEnas::controller_defaults();
  controller.num_aggregate = 0;
  CHECK_THAT(refusal([&] { controller.validate(); }), Contains("--controller_num_aggregate=0: expected >= 1"));
}
