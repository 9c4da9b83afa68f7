//! `provisio`: the service binary (serve, migrate, and the operator CLI).

fn main() -> std::process::ExitCode {
    provisio::cli::main()
}
