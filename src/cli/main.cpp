// rmtlens: predict, from training data alone, how kernel ridge regression
// on a representation will generalize, and explain why.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "network_commands.hpp"
#include "rmtlens/types.hpp"
#ifdef RMTLENS_HAVE_MPI
#include "rmtlens/mpi/grid.hpp"
#endif

int main(int argc, char** argv) {
#ifdef RMTLENS_NETWORKS_PROGRAM
  // Before MPI_Init: the network program initialises MPI itself.
  if (rmtlens::cli::wants_network_command(argc, argv)) {
    return rmtlens::cli::exec_network_program(argv);
  }
#endif
#ifdef RMTLENS_HAVE_MPI
  // MPI_Init before parsing (mpirun may add arguments), MPI_Finalize when
  // main returns.
  rmtlens::mpi::Session mpi_session(&argc, &argv);
#endif
  CLI::App app{
      "rmtlens: risk curves of kernel ridge regression over sizes and "
      "ridges, with GCV, exact LOO and random-matrix theory side by side."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("rmtlens ") + RMTLENS_VERSION);

  rmtlens::cli::add_sweep_command(app);
  rmtlens::cli::add_kernel_command(app);
  rmtlens::cli::add_spectrum_command(app);
  rmtlens::cli::add_scaling_command(app);
  rmtlens::cli::add_synth_command(app);
  rmtlens::cli::add_report_command(app);
#ifdef RMTLENS_NETWORKS_PROGRAM
  rmtlens::cli::add_network_command_entries(app);
#else
  rmtlens::cli::add_demo_command(app);
#endif
#ifdef RMTLENS_HAVE_TORCH
  rmtlens::cli::add_ntk_command(app);
  rmtlens::cli::add_features_command(app);
  rmtlens::cli::add_pretrain_command(app);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const rmtlens::InputError& e) {
    std::fprintf(stderr, "rmtlens: error: %s\n", e.what());
    return 2;
  } catch (const rmtlens::NotImplemented& e) {
    std::fprintf(stderr, "rmtlens: %s\n", e.what());
    return 3;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "rmtlens: error: out of memory\n");
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rmtlens: internal error: %s\n", e.what());
    return 5;
  }
  return 0;
}
