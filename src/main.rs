//! The `junheng` binary: parse arguments, call the library, print diagnostics, exit code.

mod cli;

/// Builds allocate many small strings and JSON values from both cores; mimalloc keeps that
/// fast where the system allocator's arenas contend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use junheng::{Diagnostics, Error};

fn main() -> ExitCode {
    junheng::util::alloc::tune_mimalloc();
    // Transparent huge pages make every fresh 2 MiB of heap a 2 MiB zeroing in the page-fault
    // handler; a build touches gigabytes once, and measured 30–40 % faster in the load and
    // model stages at national size without them. Best effort: an old kernel keeps THP.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Site(diags)) => {
            print_diagnostics(&diags);
            eprintln!("error: the site has {}; nothing was written", diags.summary());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn print_diagnostics(diags: &Diagnostics) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{diags}");
}

fn run(cli: cli::Cli) -> Result<(), Error> {
    match cli.command {
        cli::Command::Build { site, output, deny_warnings } => {
            let report = junheng::build(&junheng::BuildOptions { site, output, deny_warnings })?;
            print_diagnostics(&report.diagnostics);
            println!(
                "built {} files ({} KiB) into `{}` in {} ms; {}",
                report.files,
                report.bytes / 1024,
                report.output.display(),
                report.elapsed.as_millis(),
                report.diagnostics.summary()
            );
        }
        cli::Command::Check { site, deny_warnings } => {
            let report = junheng::check::check(&site, deny_warnings)?;
            print_diagnostics(&report.diagnostics);
            for (file, encoding) in &report.encodings {
                println!("read `{file}` as {encoding}");
            }
            println!("checked `{}`: {}", site.display(), report.diagnostics.summary());
        }
        cli::Command::Serve { site, port, bind, open } => {
            junheng::util::alloc::tune_mimalloc_for_preview();
            junheng::serve::serve(&junheng::serve::ServeOptions { site, bind, port, open })?;
        }
        cli::Command::New { dir, eject, csv } => {
            let tables = if csv { junheng::new::Tables::Csv } else { junheng::new::Tables::Workbooks };
            junheng::new::new_site(&dir, tables)?;
            if eject {
                junheng::new::eject(&dir)?;
            }
            println!(
                "created a starter site in `{}`; build it with `junheng build --site {}`",
                dir.display(),
                dir.display()
            );
        }
        cli::Command::Template { dir, lang } => {
            let (written, kept) = junheng::new::templates(&dir, &lang)?;
            for file in &written {
                println!("wrote {}", dir.join(file).display());
            }
            for file in &kept {
                println!("kept {} (already there)", dir.join(file).display());
            }
        }
        cli::Command::Eject { site } => {
            let (written, kept) = junheng::new::eject(&site)?;
            for file in &written {
                println!("wrote {file}");
            }
            for file in &kept {
                println!("kept {file} (the site's own)");
            }
            println!(
                "{} files of the built-in theme written; a file deleted from the theme folder falls back to the built-in one",
                written.len()
            );
        }
    }
    Ok(())
}
