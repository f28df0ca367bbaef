// Pretraining learns a task that a linear rule separates.
#include "rmtlens/torch/pretrain.hpp"

#include <gtest/gtest.h>

#include "tiny_tasks.hpp"

namespace rmtlens {
namespace {

TEST(Pretrain, LearnsASeparableTask) {
  for (auto architecture : {Architecture::kResNet, Architecture::kMlp}) {
    const NetworkSpec spec = testing::tiny_spec(architecture);
    PretrainOptions options;
    options.epochs = 4;
    options.batch_size = 8;
    options.learning_rate = 0.05;
    const auto train = testing::halves_task(64, 1, 6, 6, 1);
    const auto heldout = testing::halves_task(32, 1, 6, 6, 2);
    const PretrainResult r = pretrain(spec, train, heldout, options);
    EXPECT_GE(r.heldout_accuracy, 0.9) << architecture_name(architecture);
    EXPECT_EQ(r.steps, 4 * 8);
  }
}

TEST(Pretrain, ClassCountMustMatchTheHead) {
  NetworkSpec spec = testing::tiny_spec(Architecture::kMlp);
  spec.classes = 3;
  const auto task = testing::halves_task(8, 1, 6, 6, 1);
  EXPECT_THROW(pretrain(spec, task, task, {}), InputError);
}

TEST(Tasks, ParsesClassLists) {
  EXPECT_EQ(parse_class_list("0-4", "--classes"),
            (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(parse_class_list("5,7,9", "--classes"),
            (std::vector<int>{5, 7, 9}));
  EXPECT_THROW(parse_class_list("3,3", "--classes"), InputError);
  EXPECT_THROW(parse_class_list("0-12", "--classes"), InputError);
}

}  // namespace
}  // namespace rmtlens
