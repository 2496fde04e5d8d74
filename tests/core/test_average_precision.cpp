#include <gtest/gtest.h>

#include <cmath>

#include "util/average_precision.h"
#include "util/error.h"

using namespace argus;

TEST(AveragePrecision, BoxIou) {
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 2, 2}, {1, 0, 3, 2}), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 1, 1}, {1, 1, 2, 2}), 0.0);  // touching corners
  EXPECT_DOUBLE_EQ(box_iou({0, 0, 4, 4}, {0, 0, 4, 4}), 1.0);
}

TEST(AveragePrecision, WorkedExample) {
  // Two objects; ranked detections hit, miss, hit. Precision 1, 1/2, 2/3 at recall
  // 1/2, 1/2, 1; the envelope is 1 up to recall 0.5 (51 of COCO's 101 points) and 2/3
  // after (50 points).
  std::vector<TruthBox> truth = {{0, "circle", {0, 0, 10, 10}}, {0, "circle", {20, 20, 30, 30}}};
  std::vector<ScoredBox> dets = {{0, "circle", 0.9, {0, 0, 10, 10}},
                                 {0, "circle", 0.8, {50, 50, 60, 60}},
                                 {0, "circle", 0.7, {21, 20, 30, 30}}};
  EXPECT_NEAR(mean_average_precision(dets, truth, 0.5), (51.0 + 50.0 * 2.0 / 3.0) / 101.0, 1e-12);
  // Order by score, not by position in the list.
  std::swap(dets[0], dets[2]);
  EXPECT_NEAR(mean_average_precision(dets, truth, 0.5), (51.0 + 50.0 * 2.0 / 3.0) / 101.0, 1e-12);
}

TEST(AveragePrecision, DuplicatesWrongLabelsAndOtherImagesDoNotCount) {
  std::vector<TruthBox> truth = {{0, "circle", {0, 0, 10, 10}}};
  // A second box on the same object is a false positive: after it precision is 1/2, but
  // the envelope keeps 1 at full recall.
  EXPECT_DOUBLE_EQ(mean_average_precision({{0, "circle", 0.9, {0, 0, 10, 10}}, {0, "circle", 0.8, {0, 0, 10, 9}}},
                                          truth, 0.5),
                   1.0);
  // The duplicate ranked first and the right box second: precision 1/2 at full recall.
  EXPECT_NEAR(mean_average_precision({{0, "circle", 0.9, {0, 0, 10, 4}}, {0, "circle", 0.8, {0, 0, 10, 10}}},
                                     truth, 0.5),
              0.5, 1e-12);
  EXPECT_DOUBLE_EQ(mean_average_precision({{0, "square", 0.9, {0, 0, 10, 10}}}, truth, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(mean_average_precision({{1, "circle", 0.9, {0, 0, 10, 10}}}, truth, 0.5), 0.0);
  // IoU 0.45 misses at 0.5 and hits at 0.4.
  ScoredBox loose{0, "circle", 0.9, {0, 0, 4.5, 10}};
  EXPECT_DOUBLE_EQ(mean_average_precision({loose}, truth, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(mean_average_precision({loose}, truth, 0.4), 1.0);
}

TEST(AveragePrecision, MeanOverLabelsWithTruth) {
  std::vector<TruthBox> truth = {{0, "circle", {0, 0, 10, 10}}, {0, "star", {20, 20, 30, 30}}};
  std::map<std::string, double> per;
  // The star is never found (AP 0); a "hexagon" detection has no truth and is not averaged.
  double m = mean_average_precision({{0, "circle", 0.9, {0, 0, 10, 10}}, {0, "hexagon", 0.99, {20, 20, 30, 30}}},
                                    truth, 0.5, &per);
  EXPECT_DOUBLE_EQ(m, 0.5);
  EXPECT_EQ(per.size(), 2u);
  EXPECT_DOUBLE_EQ(per["circle"], 1.0);
  EXPECT_DOUBLE_EQ(per["star"], 0.0);
  EXPECT_DOUBLE_EQ(mean_average_precision({}, {}, 0.5), 0.0);
  EXPECT_THROW(mean_average_precision({}, truth, 0.0), Error);
  EXPECT_THROW(mean_average_precision({{0, "circle", NAN, {0, 0, 1, 1}}}, truth, 0.5), Error);
}
