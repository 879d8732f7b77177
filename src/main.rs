/// jemalloc: on the benchmark batch 2–5 % less wall and CPU time than glibc's allocator, at about
/// the same peak (docs/benchmark.md); its tuning is in `.cargo/config.toml`.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(payout::cli::main());
}
