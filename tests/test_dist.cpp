// The launch environment of torchrun, Open MPI and Slurm (dist/launch.hpp), on synthetic
// environments: what each launcher sets, and every malformed value refused by name.
#include "catch2_compat.hpp"

#include <map>
#include <string>

#include "enas/dist/launch.hpp"

namespace {

using Env = std::map<std::string, std::string>;

enas::dist::LaunchInfo launch(const Env& vars) {
  return enas::dist::read_launch([&](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string refusal(const Env& vars) {
  try {
    launch(vars);
  } catch (const enas::ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("the launch is read from torchrun's, Open MPI's and Slurm's variables, else one process", "[dist][launch]") {
  const auto single = launch({{"PATH", "/usr/bin"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}});
  // A Slurm batch script that runs the program without srun has SLURM_PROCID but no job step.
  CHECK(single.launcher == "single process");
  CHECK_FALSE(single.distributed());
  CHECK(single.world_size == 1);
  CHECK(single.default_threads(16) == 16);

  // torchrun --nnodes 2 --nproc_per_node 4: the second machine's third process.
  const auto t = launch({{"RANK", "6"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "4"},
                         {"MASTER_ADDR", "node-a"}, {"MASTER_PORT", "29400"}});
  CHECK(t.launcher == "torchrun");
  CHECK(t.rank == 6);
  CHECK(t.world_size == 8);
  CHECK(t.local_rank == 2);
  CHECK(t.local_world_size == 4);
  CHECK(t.master_addr == "node-a");
  CHECK(t.master_port == 29400);
  CHECK(t.default_threads(16) == 4);  // 16 cores shared by 4 ranks
  CHECK(t.default_threads(2) == 1);   // never below one

  // One machine: the rendezvous defaults to this host and torchrun's port.
  const auto local = launch({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  CHECK(local.local_rank == 1);
  CHECK(local.local_world_size == 2);
  CHECK(local.master_addr == "127.0.0.1");
  CHECK(local.master_port == 29500);

  // mpirun -n 4 on two machines; torchrun's variables win when both are present.
  const Env ompi{{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                 {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"}};
  const auto m = launch(ompi);
  CHECK(m.launcher == "Open MPI");
  CHECK(m.rank == 3);
  CHECK(m.local_rank == 1);
  CHECK(m.local_world_size == 2);
  CHECK(m.master_addr == "10.0.0.1");
  auto both = ompi;
  both["RANK"] = "0";
  both["WORLD_SIZE"] = "1";
  CHECK(launch(both).launcher == "torchrun");

  // srun -N 2 -n 6 (tasks per node "3(x2)").
  const auto s = launch({{"SLURM_PROCID", "4"}, {"SLURM_STEP_NUM_TASKS", "6"}, {"SLURM_LOCALID", "1"},
                         {"SLURM_STEP_TASKS_PER_NODE", "3(x2)"}, {"SLURM_STEP_NUM_NODES", "2"}, {"MASTER_ADDR", "n01"}});
  CHECK(s.launcher == "Slurm");
  CHECK(s.rank == 4);
  CHECK(s.world_size == 6);
  CHECK(s.local_rank == 1);
  CHECK(s.local_world_size == 3);
  CHECK(s.default_threads(48) == 16);
  const auto one_node = launch({{"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_STEP_TASKS_PER_NODE", "2"},
                                {"SLURM_STEP_NUM_NODES", "1"}});
  CHECK(one_node.master_addr == "127.0.0.1");
  CHECK(one_node.local_rank == 1);
}

TEST_CASE("a malformed launch environment is refused with the variable, its value and what was expected", "[dist][launch]") {
  using enas::test::Contains;
  CHECK_THAT(refusal({{"RANK", "0"}}), Contains("WORLD_SIZE is not set") && Contains("set with RANK"));
  CHECK_THAT(refusal({{"RANK", "2"}, {"WORLD_SIZE", "2"}}),
             Contains("RANK = '2'") && Contains("below WORLD_SIZE") && Contains("from 0 to 1"));
  CHECK_THAT(refusal({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}), Contains("RANK = '-1'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "0"}}), Contains("WORLD_SIZE = '0'") && Contains("from 1 to"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "two"}}), Contains("WORLD_SIZE = 'two'") && Contains("an integer"));
  CHECK_THAT(refusal({{"RANK", " 1"}, {"WORLD_SIZE", "2"}}), Contains("RANK = ' 1'"));
  CHECK_THAT(refusal({{"RANK", "1 "}, {"WORLD_SIZE", "2"}}), Contains("RANK = '1 '"));
  CHECK_THAT(refusal({{"RANK", ""}, {"WORLD_SIZE", "2"}}), Contains("RANK = ''"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "99999999999999999999"}}), Contains("WORLD_SIZE = '99999999999999999999'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", std::string("2\0", 2)}}), Contains("WORLD_SIZE = '2\\x00'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "8"}}),
             Contains("LOCAL_WORLD_SIZE = '8'") && Contains("at most WORLD_SIZE"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}}),
             Contains("LOCAL_RANK = '2'"));
  // Ranks on several machines need rank 0's host.
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}}),
             Contains("MASTER_ADDR is not set") && Contains("span machines"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", ""}}), Contains("MASTER_ADDR = ''"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a b"}}), Contains("MASTER_ADDR = 'a b'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "65536"}}),
             Contains("MASTER_PORT = '65536'") && Contains("from 1 to 65535"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "0x50"}}), Contains("MASTER_PORT = '0x50'"));
  CHECK_THAT(refusal({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"}}),
             Contains("OMPI_COMM_WORLD_LOCAL_SIZE is not set"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "x2"}}),
             Contains("SLURM_STEP_TASKS_PER_NODE = 'x2'") && Contains("4(x2),3"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "8"}}),
             Contains("at most SLURM_STEP_NUM_TASKS"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "2(x2)"},
                      {"SLURM_STEP_NUM_NODES", "2"}}),
             Contains("MASTER_ADDR is not set") && Contains("Slurm"));
}
