// Optimizers and schedules: clipping, L2, momentum, non-finite steps; staircase and cosine.
#include <ATen/ATen.h>

#include <cmath>

#include "enas/optim/lr_schedule.hpp"
#include "enas/optim/sgd.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

TEST_CASE("SGD clips to the global norm after adding the L2 gradient", "[train][optim]") {
  auto a = at::tensor({1.0, 2.0}, at::kDouble).requires_grad_();
  auto b = at::tensor({-1.0}, at::kDouble).requires_grad_();
  a.mutable_grad() = at::tensor({3.0, 0.0}, at::kDouble);
  b.mutable_grad() = at::tensor({4.0}, at::kDouble);
  enas::optim::Sgd sgd({/*l2=*/0.5, /*bound=*/1.0, 0.0, false});
  // gradients with L2 (2·0.5·w): a: [4, 2], b: [3]; norm sqrt(29); scaled to norm 1.
  const auto norm = sgd.step({a, b}, /*lr=*/0.1);
  CHECK(norm.item<double>() == Approx(std::sqrt(29.0)));
  const double k = 0.1 / std::sqrt(29.0);
  CHECK(a[0].item<double>() == Approx(1.0 - k * 4));
  CHECK(a[1].item<double>() == Approx(2.0 - k * 2));
  CHECK(b[0].item<double>() == Approx(-1.0 - k * 3));
  CHECK_FALSE(a.grad().defined());  // gradients are consumed
  CHECK(sgd.take_nonfinite().skipped == 0);
}

TEST_CASE("SGD leaves parameters without gradient alone", "[train][optim]") {
  auto used = at::ones({2}).requires_grad_();
  auto unused = at::ones({2}).requires_grad_();
  used.mutable_grad() = at::ones({2});
  enas::optim::Sgd sgd({0.1, 0.0, 0.9, true});
  sgd.step({used, unused}, 1.0);
  CHECK(at::equal(unused, at::ones({2})));
  CHECK_FALSE(at::equal(used, at::ones({2})));
}

TEST_CASE("Nesterov momentum follows TensorFlow's MomentumOptimizer", "[train][optim]") {
  auto w = at::zeros({1}, at::kDouble).requires_grad_();
  enas::optim::Sgd sgd({0.0, 0.0, 0.9, true});
  double accum = 0.0, ref = 0.0;
  for (double g : {1.0, 2.0, -1.0}) {
    w.mutable_grad() = at::full({1}, g, at::kDouble);
    sgd.step({w}, 0.1);
    accum = 0.9 * accum + g;  // accum = m·accum + g; var -= lr·(g + m·accum)
    ref -= 0.1 * (g + 0.9 * accum);
    CHECK(w.item<double>() == Approx(ref));
  }
}

TEST_CASE("a non-finite gradient or loss skips the whole update and is counted", "[train][optim][nonfinite]") {
  // Nesterov momentum as TF computes it (accum = m·accum + g; w −= lr·(g + m·accum)), by hand,
  // over the gradients 1, NaN, 2 with a finite loss, then 3 with a NaN loss: the skipped steps
  // must leave the weight and the momentum as if they had not happened.
  auto w = at::zeros({1}, at::kDouble).requires_grad_();
  enas::optim::Sgd sgd({0.0, 0.0, 0.9, true});
  const auto finite_loss = at::scalar_tensor(1.0, at::kDouble);
  const auto nan_loss = at::scalar_tensor(std::nan(""), at::kDouble);
  double accum = 0.0, ref = 0.0;
  auto step = [&](double g, const at::Tensor& loss) {
    w.mutable_grad() = at::full({1}, g, at::kDouble);
    sgd.step({w}, 0.1, loss);
  };
  step(1.0, finite_loss);
  accum = 0.9 * accum + 1.0;
  ref -= 0.1 * (1.0 + 0.9 * accum);
  CHECK(w.item<double>() == Approx(ref));
  step(std::nan(""), finite_loss);
  CHECK(w.item<double>() == ref);  // bit for bit: untouched
  CHECK_FALSE(sgd.last_step_finite().item<bool>());
  step(2.0, finite_loss);
  accum = 0.9 * accum + 2.0;
  ref -= 0.1 * (2.0 + 0.9 * accum);
  CHECK(w.item<double>() == Approx(ref));
  CHECK(sgd.last_step_finite().item<bool>());
  step(3.0, nan_loss);
  CHECK(w.item<double>() == Approx(ref));
  step(-1.0, finite_loss);
  accum = 0.9 * accum - 1.0;
  ref -= 0.1 * (-1.0 + 0.9 * accum);
  CHECK(w.item<double>() == Approx(ref));
  const auto counted = sgd.take_nonfinite();
  CHECK(counted.skipped == 2);
  CHECK(counted.longest == 1);
}

TEST_CASE("skipped steps are counted in a row across reads", "[train][optim][nonfinite]") {
  // good, bad, bad, good, bad | bad, bad | good: the reads give (3 skipped, 2 in a row), then
  // (2, 3): the run that began before the second read counts whole; then (0, 0).
  auto w = at::ones({2}).requires_grad_();
  enas::optim::Sgd sgd({0.0, 5.0, 0.0, false});
  auto step = [&](bool bad) {
    w.mutable_grad() = at::ones({2});
    if (bad) sgd.inject_nonfinite();
    sgd.step({w}, 0.1);
  };
  for (bool bad : {false, true, true, false, true}) step(bad);
  auto c = sgd.take_nonfinite();
  CHECK(c.skipped == 3);
  CHECK(c.longest == 2);
  for (bool bad : {true, true}) step(bad);
  c = sgd.take_nonfinite();
  CHECK(c.skipped == 2);
  CHECK(c.longest == 3);
  step(false);
  c = sgd.take_nonfinite();
  CHECK(c.skipped == 0);
  CHECK(c.longest == 0);
  // A NaN gradient in a plain (no momentum) step leaves the weights as they were.
  const auto before = w.clone();
  step(true);
  CHECK(at::equal(w, before));
}

TEST_CASE("SGD with the learning rate as a device scalar updates like the host number", "[train][optim][cuda_graph]") {
  // The graphed steps pass the rate as a tensor; the update must be the one Nesterov SGD
  // computes by hand: accum = m·accum + g, w -= lr·(g + m·accum), with a new rate every step.
  auto w = at::zeros({1}, at::kDouble).requires_grad_();
  enas::optim::Sgd sgd({0.0, 0.0, 0.9, true});
  auto lr = at::zeros({}, at::kDouble);
  double accum = 0.0, ref = 0.0;
  const double rates[] = {0.1, 0.05, 0.2};
  const double grads[] = {1.0, 2.0, -1.0};
  for (int i = 0; i < 3; ++i) {
    w.mutable_grad() = at::full({1}, grads[i], at::kDouble);
    lr.fill_(rates[i]);
    sgd.step({w}, lr);
    accum = 0.9 * accum + grads[i];
    ref -= rates[i] * (grads[i] + 0.9 * accum);
    CHECK(w.item<double>() == Approx(ref));
  }
  // The count of skipped steps lives in tensors updated in place, as a replayed graph needs; a
  // skipped step with the rate a tensor leaves the weight and the momentum as they were.
  const double before = w.item<double>();
  w.mutable_grad() = at::full({1}, std::nan(""), at::kDouble);
  sgd.step({w}, lr);
  CHECK(w.item<double>() == before);
  w.mutable_grad() = at::full({1}, 1.0, at::kDouble);
  sgd.step({w}, lr);
  accum = 0.9 * accum + 1.0;
  ref -= rates[2] * (1.0 + 0.9 * accum);
  CHECK(w.item<double>() == Approx(ref));
  const auto counted = sgd.take_nonfinite();
  CHECK(counted.skipped == 1);
  CHECK(counted.longest == 1);
}

TEST_CASE("the PTB staircase decay", "[train][schedule]") {
  // ptb_search.sh: lr 0.25, ×0.95 per epoch from epoch 12, floor 0.0005; 1327 batches per epoch.
  const auto s = enas::optim::StaircaseDecay::from_epochs(0.25, 0.95, 0.0005, 12, 1, 1327);
  CHECK(s.at(0) == Approx(0.25));
  CHECK(s.at(12 * 1327 - 1) == Approx(0.25));
  CHECK(s.at(12 * 1327) == Approx(0.25));
  CHECK(s.at(13 * 1327) == Approx(0.25 * 0.95));
  CHECK(s.at(20 * 1327 + 5) == Approx(0.25 * std::pow(0.95, 8)));
  CHECK(s.at(400 * 1327) == Approx(0.0005));
}

TEST_CASE("the cosine schedule restarts at epochs 10, 30, 70, ...", "[train][schedule]") {
  const enas::optim::CosineRestarts c{0.05, 0.0005, 10, 2};
  const double pi = 3.14159265358979323846;
  auto cosine = [&](double t, double period) { return 0.0005 + 0.5 * (0.05 - 0.0005) * (1 + std::cos(pi * t / period)); };
  CHECK(c.at_epoch(0) == Approx(0.05));
  CHECK(c.at_epoch(9) == Approx(cosine(9, 10)));
  CHECK(c.at_epoch(10) == Approx(0.05));
  CHECK(c.at_epoch(29) == Approx(cosine(19, 20)));
  CHECK(c.at_epoch(30) == Approx(0.05));
  CHECK(c.at_epoch(69) == Approx(cosine(39, 40)));
  CHECK(c.at_epoch(150) == Approx(0.05));
}
