fn main() {
    std::process::exit(payout::cli::main());
}
