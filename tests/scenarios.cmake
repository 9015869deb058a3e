# tests/scenarios.cmake - scenario runs as ctest cases (label scenario).
# Each built-in scenario runs with a few seeds and every variant; the run
# must exit 0 (all invariants held).  Added as scenarios land.
set(KVMSIM_SCENARIO_RUNS
    "demo --seed 1"
    "demo --seed 2 --strategy random"
    "demo --seed 3 --strategy pct"
    "demo --seed 4 --set vm.vcpus=8 --set workload.items=500"
    "demo --seed 5 --set faults.demo_submit=0.3"
    "msix-resume-8vf --variant per-vector"
    "msix-resume-8vf --variant batched"
    "msix-resume-8vf --variant batched --set cycles=100 --set vfs=2"
    "msix-resume-8vf --variant per-vector --set mask_every=3 --set vfs=3"
    "msix-resume-8vf --variant batched --set mask_every=4 --set vfs=3"
    "msix-resume-8vf --variant batched --set faults.kvm_irqfd=0.05"
    "msix-resume-8vf --variant per-vector --set faults.kvm_set_gsi_routing=0.05"
    "msix-resume-8vf --variant batched --set faults.gsi_alloc=0.05 --seed 4"
    "lpi-storm --variant none --set nics=1"
    "lpi-storm --variant none --set nics=10"
    "lpi-storm --variant global --set nics=1"
    "lpi-storm --variant global --set nics=10"
    "lpi-storm --variant sharded --set nics=1"
    "lpi-storm --variant sharded --set nics=10"
    "lpi-storm --variant lockless --set nics=1"
    "lpi-storm --variant lockless --set nics=10"
    "lpi-storm --variant sharded --set nics=10 --set remap_every_us=200 --set inv_every_us=50 --seed 2"
    "lpi-storm --variant lockless --set nics=6 --set queues=3 --set remap_every_us=100 --set duration_ms=5 --strategy random --seed 3"
    "lpi-storm --variant global --set nics=4 --set remap_every_us=150 --set duration_ms=3 --strategy pct --seed 4"
    "switchover-vfio --variant parallel"
    "switchover-vfio --variant serial"
    "switchover-vfio --variant parallel --set devices=8 --strategy pct --seed 2"
    "switchover-vfio --variant serial --set devices=2 --strategy random --seed 3"
    "switchover-vfio --variant parallel --set devices=1 --set p2p=false"
    "switchover-vfio --variant parallel --set p2p=false"
    "switchover-vfio --variant serial --set precopy=false --set devices=3"
    "switchover-vfio --variant parallel --set faults.vfio_set_state=0.02 --seed 5"
    "switchover-vfio --variant serial --set faults.vfio_set_state=0.3 --set faults.vfio_reset=0.5 --seed 4"
    "switchover-vfio --variant parallel --set faults.thread_create=0.3 --set faults.alloc=0.2 --strategy pct --seed 6"
    "virtio-blk-mq --variant sync"
    "virtio-blk-mq --variant ioeventfd"
    "virtio-blk-mq --variant ioeventfd --set transport=modern --strategy random --seed 2 --set requests=200"
    "virtio-blk-mq --variant ioeventfd --strategy pct --seed 3 --set requests=100 --set vm.vcpus=2 --set transition_gap_us=50"
    "virtio-blk-mq --variant ioeventfd --set faults.kvm_ioeventfd=0.2 --seed 4 --set requests=300"
    "virtio-blk-mq --variant sync --set transport=modern --set any_length=false --set requests=300"
    "virtio-net-tx --variant sync"
    "virtio-net-tx --variant ioeventfd"
    "virtio-net-tx --variant ioeventfd --set transport=modern --set any_length=false --strategy random --seed 5 --set requests=3000"
    "virtio-net-tx --variant ioeventfd --set faults.kvm_ioeventfd=0.3 --seed 6 --set requests=3000"
    "virtio-net-tx --variant ioeventfd --strategy pct --seed 7 --set requests=500 --set transition_gap_us=20")
foreach(run IN LISTS KVMSIM_SCENARIO_RUNS)
    string(REGEX REPLACE "[^A-Za-z0-9]+" "_" tname "scenario_${run}")
    separate_arguments(args UNIX_COMMAND "${run}")
    add_test(NAME ${tname} COMMAND kvmsim run ${args})
    set_tests_properties(${tname} PROPERTIES LABELS scenario)
endforeach()
