# Convenience recipes; CI (.ci/run) uses plain cargo, so `just` is optional.

# The main job: plan the seed upgrade v1.2 → v2.0.
plan:
    cargo run --quiet -p schemadiff-cli -- plan --from schemas/v1.2.prisma --to schemas/v2.0.prisma --map schemas/v1.2-to-v2.0.toml

# The rollback plan v2.0 → v1.2 (drops the new tables: allowed explicitly).
rollback:
    cargo run --quiet -p schemadiff-cli -- plan --from schemas/v2.0.prisma --to schemas/v1.2.prisma --map schemas/v1.2-to-v2.0.toml --allow-hazard drop-table

# Every test (needs PostgreSQL; see docs/testing.md).
test:
    cargo nextest run --workspace

# Rewrite expected-output files under fixtures/ after a deliberate change; review the git diff.
bless:
    UPDATE_EXPECT=1 cargo nextest run --workspace

# Validate and format-check the shipped schemas.
check-schemas:
    cargo run --quiet -p schemadiff-cli -- validate schemas/v1.2.prisma schemas/v2.0.prisma
    cargo run --quiet -p schemadiff-cli -- fmt --check schemas/v1.2.prisma schemas/v2.0.prisma

lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Benchmarks (release build): seed plan in-process and as a process, generated 1k/10k models.
bench:
    cargo build --release -p schemadiff-cli
    cargo run --release -p schemadiff-bench --bin schemadiff-bench

# Fuzz the DSL parser for a bounded time (installs cargo-fuzz; stable toolchain, no sanitizer).
fuzz seconds="60":
    cargo install --locked cargo-fuzz@0.13.2
    cd crates/schemadiff-dsl && cargo fuzz run -s none parse -- -max_total_time={{seconds}}

# The corpus of real projects (docs/testing.md): the four checks on every version of every
# project, e.g. `just corpus` or `just corpus --project umami --jobs 1`.
corpus *args:
    cargo build --quiet -p schemadiff-cli --bin schemadiff -p schemadiff-corpus
    target/debug/schemadiff-corpus {{args}}

# No unused dependency (installs cargo-machete once); the crate graph is a test (tidy.rs).
tidy:
    command -v cargo-machete >/dev/null || cargo install --locked cargo-machete@0.9.2
    cargo machete
    cargo nextest run -p schemadiff-testkit -E 'binary(tidy)'

# The whole CI gate.
ci:
    bash .ci/run

# Side by side on generated legacy data (docs/performance.md): schemadiff vs the hand-written plan
# vs a bare rewrite, and Prisma's migrate diff (latency, and what its SQL does to the data).
bench-upgrade campaigns="1000000" runs="3":
    cargo build --release -p schemadiff-cli
    cargo run --release -p schemadiff-bench --bin schemadiff-bench-upgrade -- --campaigns {{campaigns}} --runs {{runs}}

# Every test on one PostgreSQL major version (13..18) or on all of them, each on its own server
# started by scripts/pg-server.sh (installed once into a cache outside the repository).
test-pg version="all":
    #!/usr/bin/env bash
    set -euo pipefail
    export SCHEMADIFF_PG_BIN=$(scripts/pg-server.sh tools)
    versions="{{version}}"
    [ "$versions" = all ] && versions="13 14 15 16 17 18"
    for v in $versions; do
        echo "== PostgreSQL $v"
        SCHEMADIFF_TEST_DATABASE_URL=$(scripts/pg-server.sh start "$v") cargo nextest run --workspace --no-fail-fast
    done

# Random round trips (docs/testing.md): `just roundtrip 5000 1` runs 5000 generated schema
# pairs from seed 1 on the test PostgreSQL; CI runs 200 with the workspace tests.
roundtrip cases="5000" seed="1":
    SCHEMADIFF_ROUNDTRIP_CASES={{cases}} SCHEMADIFF_ROUNDTRIP_SEED={{seed}} cargo nextest run -p schemadiff-roundtrip --no-fail-fast -E 'test(shard_)'

# Fuzz every target (parse, mapping, pipeline) from its seeds, SECONDS each (CI: .ci/fuzz).
fuzz-all seconds="20":
    FUZZ_SECONDS={{seconds}} bash .ci/fuzz

# Fuzz one target (parse, mapping or pipeline) from its seeds for SECONDS.
fuzz-target target seconds="60":
    FUZZ_SECONDS={{seconds}} bash .ci/fuzz {{target}}

# Rewrite the fuzz seeds copied from fixtures/ and schemas/ (fixture-*; hand-written seeds stay).
fuzz-seeds:
    #!/usr/bin/env bash
    set -euo pipefail
    dsl=crates/schemadiff-dsl/fuzz/seeds/parse
    map=crates/schemadiff-plan/fuzz/seeds/mapping
    pipe=crates/schemadiff-plan/fuzz/seeds/pipeline
    mkdir -p "$dsl" "$map" "$pipe"
    rm -f "$dsl"/fixture-* "$map"/fixture-* "$pipe"/fixture-*
    for f in fixtures/dsl/ok/*.prisma fixtures/dsl/err/*.prisma schemas/*.prisma; do
      cp "$f" "$dsl/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    cp schemas/v1.2-to-v2.0.toml "$map/fixture-seed.toml"
    for f in fixtures/diff/*/mapping.toml; do
      cp "$f" "$map/fixture-$(basename "$(dirname "$f")").toml"
    done
    pair() { cat "$1"; printf '\n%%%%\n'; cat "$2"; if [ -n "${3:-}" ]; then printf '\n%%%%\n'; cat "$3"; fi; }
    pair schemas/v1.2.prisma schemas/v2.0.prisma schemas/v1.2-to-v2.0.toml > "$pipe/fixture-seed-upgrade"
    for d in fixtures/diff/*/; do
      m=""
      if [ -f "$d/mapping.toml" ]; then m="$d/mapping.toml"; fi
      pair "$d/from.prisma" "$d/to.prisma" $m > "$pipe/fixture-$(basename "$d")"
    done
