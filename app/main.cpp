// mpobench: production test of MPO/MTP fibre-optic cable assemblies.

#include "app/cli.hpp"

int main(int argc, char** argv) {
    return mpobench::app::run_command_line(argc, argv);
}
