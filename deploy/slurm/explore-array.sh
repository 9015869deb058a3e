#!/bin/sh
# deploy/slurm/explore-array.sh - `kvmsim explore` as a Slurm job array:
# K array tasks, each one shard `--shard auto/K` (its index is
# SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN), each writing its JSON
# Lines to a directory every node sees; then a merge job, started when
# every task has ended, prints the report of the whole exploration.
#
#   deploy/slurm/explore-array.sh submit     # sbatch the array + the merge
#
# Settings (environment; sbatch passes it on to the tasks):
#   KVMSIM    the kvmsim binary (default: kvmsim on PATH)
#   RESULTS   the shared directory for the shard files (default:
#             ./kvmsim-results; one fresh directory per exploration, or
#             the merge refuses the files a different split left there)
#   SHARDS    K, the number of array tasks (default 8)
#   EXPLORE   what to explore (default: the demo's lost-kick race)
#
# The array tasks keep their exit codes (sacct shows which shard found
# what); the merge runs after them whatever they returned (afterany) and
# exits with the code of the whole exploration, or 2 naming a missing or
# malformed shard file.
#SBATCH --job-name=kvmsim-explore
#SBATCH --cpus-per-task=2
#SBATCH --time=00:20:00
#SBATCH --output=kvmsim-explore-%A_%a.out
set -u
KVMSIM=${KVMSIM:-kvmsim}
SHARDS=${SHARDS:-8}
RESULTS=${RESULTS:-$PWD/kvmsim-results}
EXPLORE=${EXPLORE:-demo --variant racy --strategy pct --seeds 1000000 \
--time-budget 900}
export KVMSIM SHARDS RESULTS EXPLORE

case ${1:-} in
submit)
    mkdir -p "$RESULTS" || exit 5
    jid=$(sbatch --parsable --array="0-$((SHARDS - 1))" "$0" shard) ||
        exit 5
    jid=${jid%%;*}
    sbatch --parsable --dependency="afterany:$jid" \
        --job-name=kvmsim-merge --output="kvmsim-merge-$jid.out" \
        "$0" merge > /dev/null || exit 5
    echo "array job $jid; merge report in kvmsim-merge-$jid.out"
    ;;
shard)
    task=${SLURM_ARRAY_TASK_ID:?not a Slurm array task}
    # shellcheck disable=SC2086
    exec "$KVMSIM" explore $EXPLORE --jobs "${SLURM_CPUS_PER_TASK:-2}" \
        --quiet --shard "auto/$SHARDS" --jsonl "$RESULTS/shard-$task.jsonl" \
        --tapes "$RESULTS/tapes"
    ;;
merge)
    exec "$KVMSIM" explore --merge "$RESULTS"/shard-*.jsonl
    ;;
*)
    echo "usage: $0 submit | shard | merge" >&2
    exit 2
    ;;
esac
