/// @file
/// @brief The ranks of a multi-process run joined into one c10d process group (the engine under
/// PyTorch's DistributedDataParallel): Gloo for CPU tensors, NCCL for CUDA tensors, met through
/// c10d's TCPStore served by rank 0. enas writes no transport of its own.
///
/// Every collective waits for its result, and a collective that fails (a peer exited, or did not
/// answer within the timeout) throws enas::DistError naming the operation and, where this machine
/// can see it, which rank is gone: each rank records its host and process id in the store when it
/// joins, so a survivor can look its local peers up in /proc.
///
/// Gloo's headers (Debian: libgloo-dev) must be found when enas is configured (ENAS_WITH_GLOO,
/// set by CMake); without them connect() refuses a launch of more than one process by name.
#ifndef ENAS_DIST_PROCESS_GROUP_HPP
#define ENAS_DIST_PROCESS_GROUP_HPP

#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "enas/core/error.hpp"
#include "enas/dist/launch.hpp"

#if defined(ENAS_WITH_GLOO)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // ProcessGroupGloo.hpp is empty without it; LibTorch's CMake target sets it too
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#if defined(ENAS_WITH_CUDA) && defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define ENAS_DIST_NCCL 1
#endif
#endif

namespace enas::dist {

/// How the ranks meet and how long a collective may wait.
struct GroupOptions {
  /// Rendezvous and every collective: a rank that does not answer within it is reported gone.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  /// Gradients are summed in flat buffers of at most this many bytes, one collective each (as
  /// DistributedDataParallel's buckets).
  std::int64_t bucket_bytes = 25LL << 20;
  /// Steps between the ranks' votes on stopping (enas::StopVote); 0: by backend, every step on
  /// Gloo and every 10 on NCCL (enas::stop_vote_period).
  std::int64_t stop_vote_steps = 0;
};

#if defined(ENAS_WITH_GLOO)
#if TORCH_VERSION_MAJOR >= 2
using C10dGroup = c10d::Backend;  // 2.x: the per-device backends under one ProcessGroup
#else
using C10dGroup = c10d::ProcessGroup;
#endif
#endif

/// The process group of this run. One per process; shared by whatever takes part in the run.
class ProcessGroup {
 public:
  /// Joins the ranks `launch` describes (blocks until all have arrived or the timeout passes).
  /// `device` picks the backend: NCCL for CUDA (the rank on cuda:local_rank), Gloo otherwise.
  static std::shared_ptr<ProcessGroup> connect(const LaunchInfo& launch, const at::Device& device,
                                               const GroupOptions& options = {}) {
    auto group = std::shared_ptr<ProcessGroup>(new ProcessGroup(launch, options));
    group->join(device);
    return group;
  }

  int rank() const { return launch_.rank; }
  int size() const { return launch_.world_size; }
  const LaunchInfo& launch() const { return launch_; }
  const GroupOptions& options() const { return options_; }
  /// "gloo" or "nccl".
  const std::string& backend() const { return backend_; }

  /// Sums every tensor over the ranks, in place. Tensors of one dtype and device are packed into
  /// flat buffers of at most options().bucket_bytes; all buffers are in flight at once.
  void all_reduce_sum(const std::vector<at::Tensor>& tensors) {
#if defined(ENAS_WITH_GLOO)
    struct Bucket {
      std::vector<at::Tensor> members;
      PendingSum pending;
    };
    std::vector<Bucket> buckets;
    std::int64_t bytes = 0;
    for (const auto& t : tensors) {
      if (!t.defined() || t.numel() == 0) continue;
      const auto size = t.numel() * static_cast<std::int64_t>(t.element_size());
      const bool fits = !buckets.empty() && bytes + size <= options_.bucket_bytes &&
                        buckets.back().members.front().scalar_type() == t.scalar_type() &&
                        buckets.back().members.front().device() == t.device();
      if (!fits) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().members.push_back(t);
      bytes += size;
    }
    for (auto& b : buckets) {
      if (b.members.size() == 1 && b.members.front().is_contiguous()) {
        b.pending = start_sum(b.members.front());
      } else {
        std::vector<at::Tensor> flat;
        for (const auto& m : b.members) flat.push_back(m.reshape({-1}));
        b.pending = start_sum(at::cat(flat));
      }
    }
    for (auto& b : buckets) {
      finish_sum(b.pending);
      if (b.pending.target.is_same(b.members.front())) continue;
      std::int64_t at = 0;
      for (auto& m : b.members) {
        m.copy_(b.pending.target.narrow(0, at, m.numel()).view(m.sizes()));
        at += m.numel();
      }
    }
#else
    (void)tensors;
#endif
  }

  /// A sum over the ranks in flight (start_sum); finish_sum waits for it.
  struct PendingSum {
    at::Tensor target;  ///< where the sum goes
    at::Tensor flat;    ///< the buffer the collective sums (target itself, or its copy on the backend's device)
#if defined(ENAS_WITH_GLOO)
    c10::intrusive_ptr<c10d::Work> work;
#endif
  };

  /// Starts summing a contiguous tensor over the ranks and returns without waiting (c10d runs the
  /// collective on its own threads). Every rank must start the same sums in the same order.
  PendingSum start_sum(const at::Tensor& tensor) {
    if (!tensor.is_contiguous()) throw Error("start_sum: the tensor must be contiguous");
    PendingSum p{tensor, on_backend_device(tensor)};
#if defined(ENAS_WITH_GLOO)
    std::vector<at::Tensor> one{p.flat};
    p.work = guarded("all_reduce", [&] { return group_->allreduce(one); });
#endif
    return p;
  }

  /// Waits for a sum start_sum began; the sum is then in its tensor.
  void finish_sum(PendingSum& pending) {
#if defined(ENAS_WITH_GLOO)
    if (pending.work) wait("all_reduce", pending.work);
    pending.work.reset();
#endif
    if (!pending.flat.is_same(pending.target)) pending.target.copy_(pending.flat);
  }

  /// Every rank's `tensor` (same shape and dtype on every rank), in rank order, on every rank,
  /// on the device `tensor` is on.
  std::vector<at::Tensor> all_gather(const at::Tensor& tensor) {
#if defined(ENAS_WITH_GLOO)
    std::vector<at::Tensor> in{on_backend_device(tensor.contiguous())};
    std::vector<std::vector<at::Tensor>> gathered(1);
    for (int r = 0; r < size(); ++r) gathered[0].push_back(at::empty_like(in[0]));
    auto work = guarded("all_gather", [&] { return group_->allgather(gathered, in); });
    wait("all_gather", work);
    for (auto& g : gathered[0]) g = g.to(tensor.device());
    return gathered[0];
#else
    return {tensor};
#endif
  }

  /// Every rank's `value`, in rank order, on every rank.
  std::vector<double> all_gather(double value) {
    std::vector<double> out;
    for (const auto& t : all_gather(at::full({1}, value, at::kDouble))) out.push_back(t.item<double>());
    return out;
  }

  /// Copies rank `root`'s `tensor` into every rank's, in place.
  void broadcast(at::Tensor& tensor, int root = 0) {
#if defined(ENAS_WITH_GLOO)
    std::vector<at::Tensor> one{on_backend_device(tensor)};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    auto work = guarded("broadcast", [&] { return group_->broadcast(one, o); });
    wait("broadcast", work);
    if (!one[0].is_same(tensor)) tensor.copy_(one[0]);
#else
    (void)tensor;
    (void)root;
#endif
  }

  /// Returns when every rank has called it.
  void barrier() {
#if defined(ENAS_WITH_GLOO)
    // A one-element all-reduce: c10d's Gloo barrier has no device to infer in 2.x.
    all_reduce_sum({at::zeros({1}, at::TensorOptions().device(device_))});
#endif
  }

 private:
  ProcessGroup(LaunchInfo launch, GroupOptions options) : launch_(std::move(launch)), options_(options) {}

  void join(const at::Device& device) {
#if defined(ENAS_WITH_GLOO)
    device_ = device.is_cuda() && !device.has_index() ? at::Device(at::kCUDA, static_cast<at::DeviceIndex>(launch_.local_rank))
                                                      : device;
    // Under torchrun the launcher's own agent already serves the store at MASTER_PORT and says so
    // (TORCHELASTIC_USE_AGENT_STORE): every rank is then a client, as PyTorch's workers are.
    const auto agent = process_env("TORCHELASTIC_USE_AGENT_STORE");
    const bool agent_store = agent && (*agent == "True" || *agent == "true" || *agent == "1");
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(launch_.master_port);
    so.isServer = launch_.rank == 0 && !agent_store;
    so.numWorkers = static_cast<std::size_t>(launch_.world_size);
    so.waitWorkers = !agent_store;
    so.timeout = options_.timeout;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    so.useLibUV = false;  // not every LibTorch build has libuv; the plain socket store suffices
#endif
    const std::string where = launch_.master_addr + ":" + std::to_string(launch_.master_port);
    try {
      // Keys under "enas/": the store may be shared with the launcher's agent.
      store_ = c10::make_intrusive<c10d::PrefixStore>("enas", c10::make_intrusive<c10d::TCPStore>(launch_.master_addr, so));
    } catch (const std::exception& e) {
      throw DistError("rank " + std::to_string(launch_.rank) + " of " + std::to_string(launch_.world_size) +
                      ": could not meet the other ranks at " + where + " (MASTER_ADDR:MASTER_PORT) within " +
                      seconds(options_.timeout) + ": " + first_line(e.what()));
    }
    // Who is who, for naming a rank that is gone later (the store may be gone with rank 0 by then).
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    host_ = host;
    store_->set("peer/" + std::to_string(launch_.rank), to_bytes(host_ + " " + std::to_string(::getpid())));
    for (int r = 0; r < launch_.world_size; ++r) {
      std::istringstream in(from_bytes(store_->get("peer/" + std::to_string(r))));
      Peer p;
      in >> p.host >> p.pid;
      peers_.push_back(p);
    }
    try {
      if (device.is_cuda()) {
#if defined(ENAS_DIST_NCCL)
        auto o = c10d::ProcessGroupNCCL::Options::create();
        o->timeout = options_.timeout;
        group_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store_, launch_.rank, launch_.world_size, o);
        backend_ = "nccl";
#else
        throw DistError("a multi-process run on " + device.str() +
                        " needs LibTorch's NCCL backend (USE_C10D_NCCL), which this LibTorch lacks");
#endif
      } else {
        auto o = c10d::ProcessGroupGloo::Options::create(options_.timeout);
        if (const auto iface = process_env("GLOO_SOCKET_IFNAME")) {
          o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*iface));
        } else if (launch_.world_size == launch_.local_world_size) {
          o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        } else {
          o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        }
        o->threads = 2;
        group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, launch_.rank, launch_.world_size, o);
        backend_ = "gloo";
      }
    } catch (const DistError&) {
      throw;
    } catch (const std::exception& e) {
      throw DistError("rank " + std::to_string(launch_.rank) + ": the " + (device.is_cuda() ? "NCCL" : "Gloo") +
                      " process group of " + std::to_string(launch_.world_size) + " ranks could not start: " +
                      first_line(e.what()) + gone());
    }
#else
    (void)device;
    throw ConfigError("WORLD_SIZE=" + std::to_string(launch_.world_size) +
                      ": this build of enas has no process group (Gloo's headers, Debian's libgloo-dev, were not "
                      "found when it was configured); install them and reconfigure, or run one process");
#endif
  }

#if defined(ENAS_WITH_GLOO)
  template <class Start>
  c10::intrusive_ptr<c10d::Work> guarded(const char* what, Start&& start) {
    try {
      return start();
    } catch (const std::exception& e) {
      throw failure(what, e);
    }
  }

  void wait(const char* what, const c10::intrusive_ptr<c10d::Work>& work) {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw failure(what, e);
    }
  }

  DistError failure(const char* what, const std::exception& e) const {
    return DistError("rank " + std::to_string(launch_.rank) + " of " + std::to_string(launch_.world_size) + ": " + what +
                     " failed (timeout " + seconds(options_.timeout) + "): " + first_line(e.what()) + gone());
  }

  static std::vector<std::uint8_t> to_bytes(const std::string& s) { return {s.begin(), s.end()}; }
  static std::string from_bytes(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }
#endif

  /// NCCL reduces device tensors only: a host tensor goes through the rank's GPU.
  at::Tensor on_backend_device(const at::Tensor& t) const {
    return backend_ == "nccl" && t.device() != device_ ? t.to(device_) : t;
  }

  static std::string seconds(std::chrono::milliseconds t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t).count()) + " s";
  }
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  /// "; rank 1 (pid 4242 on this machine) has exited" for every peer on this machine that is gone
  /// or stopped; empty when none can be seen (a peer on another machine, or one that hangs).
  std::string gone() const {
    std::string out;
    for (std::size_t r = 0; r < peers_.size(); ++r) {
      const auto& p = peers_[r];
      if (static_cast<int>(r) == launch_.rank || p.host != host_ || p.pid <= 0) continue;
      std::string state;
      std::ifstream stat("/proc/" + std::to_string(p.pid) + "/stat");
      std::string line;
      if (!stat || !std::getline(stat, line)) {
        state = "has exited";
      } else {
        const auto close = line.rfind(')');
        const char s = close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
        if (s == 'Z' || s == 'X') state = "has exited";
        if (s == 'T' || s == 't') state = "is stopped";
      }
      if (!state.empty()) out += "; rank " + std::to_string(r) + " (pid " + std::to_string(p.pid) + " on this machine) " + state;
    }
    return out.empty() ? "; a peer rank exited or did not answer" : out;
  }

  struct Peer {
    std::string host;
    long pid = 0;
  };

  LaunchInfo launch_;
  GroupOptions options_;
  std::string backend_ = "none";
  std::string host_;
  std::vector<Peer> peers_;
  at::Device device_{at::kCPU};
#if defined(ENAS_WITH_GLOO)
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<C10dGroup> group_;
#endif
};

}  // namespace enas::dist

#endif  // ENAS_DIST_PROCESS_GROUP_HPP
