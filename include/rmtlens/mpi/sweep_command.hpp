// `rmtlens sweep` on MPI: the command line's entry to the distributed
// sweep, for builds with -DRMTLENS_MPI=ON (src/cli/cmd_sweep.cpp calls it
// when the program runs on more than one process, or with --distributed).
//
//   mpirun -n 4 rmtlens sweep --kernel K.npy --test-kernel KT.npy
//       --labels y.npy --test-labels yt.npy --sizes 1000,4000 --out run
//   (one command line)
//
// Every process reads its share of the inputs; rank 0 alone logs and
// writes sweep.csv and summary.json. docs/scale-out.md has the details.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "rmtlens/sweep.hpp"

namespace rmtlens::cli {

struct InputFlags;
struct TheoryFlags;

struct DistributedFlags {
  // Take the distributed path even on one process (it is taken anyway
  // when MPI runs more than one).
  bool distributed = false;
  // nb of the block-cyclic layout, 1..4096.
  int block_size = 64;
  // pdsyevd (divide and conquer) or pdsyevr (MRRR).
  std::string eigensolver = "pdsyevd";
  // With --features: also write the pool and test kernels, in file order,
  // to DIR/kernel.npy and DIR/test_kernel.npy with MPI-IO (no gather).
  std::string write_kernel;
};

void add_distributed_flags(CLI::App* command, DistributedFlags* flags);

// Whether this run takes the distributed path.
bool distributed_requested(const DistributedFlags& flags);

// The whole distributed `sweep`: load and check inputs, sweep, theory
// columns, outputs. Collective; throws InputError on every process alike
// for a bad input.
void run_distributed_sweep(const InputFlags& inputs,
                           const TheoryFlags& theory,
                           const DistributedFlags& flags,
                           SweepOptions options,
                           const std::string& out,
                           int verbosity);

// Runs a distributed command's body on this process. An InputError or
// NotImplemented (which every process raises alike, having checked the
// same inputs) is rethrown on rank 0 for main to report in one line while
// the other processes finalise quietly with the same exit code; any other
// exception may have struck one process alone and ends all of them with
// MPI_Abort.
void run_on_every_process(const std::function<void()>& body);

}  // namespace rmtlens::cli
