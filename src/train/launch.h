// Starts a data-parallel job on this machine: the current program re-executed `nproc`
// times with the variables torch.distributed's launchers set (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT). Several machines are joined the usual way, by
// setting those variables on each.
#pragma once
#include <string>
#include <vector>

namespace argus::train {

// True when this process is a worker of a job (WORLD_SIZE is set).
bool launched_as_worker();

// Runs the workers (`args` = argv without the program name) and waits for all of them. When
// one fails the others are stopped; returns the first non-zero exit status, or 0.
int launch_local(int nproc, const std::vector<std::string>& args);

}  // namespace argus::train
