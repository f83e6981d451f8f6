//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes:
  0  the site is fine (warnings may have been printed)
  1  the site has errors: every problem is listed as file:line:column
  2  usage or environment trouble (bad flag, missing folder, unwritable output)";

/// junheng (均衡): build transparency portals on county compulsory-education balance.
#[derive(Debug, Parser)]
#[command(name = "junheng", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into its output folder (atomically: a failed build changes nothing).
    #[command(after_help = AFTER_HELP)]
    Build {
        /// The site folder (holding site.toml).
        #[arg(long, default_value = ".")]
        site: PathBuf,
        /// The output folder [default: `output_dir` of site.toml, `public`].
        #[arg(long)]
        output: Option<PathBuf>,
        /// Treat warnings (suspicious but possible values) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Check the site: everything a build does except writing; reports every problem.
    #[command(after_help = AFTER_HELP)]
    Check {
        /// The site folder (holding site.toml).
        #[arg(long, default_value = ".")]
        site: PathBuf,
        /// Treat warnings (suspicious but possible values) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Preview the site: serve it from memory, rebuild on every save, reload the browser.
    #[command(after_help = AFTER_HELP)]
    Serve {
        /// The site folder (holding site.toml).
        #[arg(long, default_value = ".")]
        site: PathBuf,
        /// Port to listen on; 0 picks a free port (printed).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Address to bind; the default keeps the preview on this machine.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Create a minimal starter site that builds (with the built-in theme).
    #[command(after_help = AFTER_HELP)]
    New {
        /// The folder to create (must be new or empty).
        dir: PathBuf,
        /// Also write the built-in theme's files into `themes/default/`, to own and change.
        #[arg(long)]
        eject: bool,
        /// Write the tables as CSV files instead of data-entry workbooks.
        #[arg(long)]
        csv: bool,
    },
    /// Write an empty data-entry workbook of every table (数据填报模板)
    ///
    /// Each has its header row, drop-downs for the columns that take words of a list, codes
    /// formatted as text, and a sheet that explains every column with an example. Filled in
    /// and saved into a site's data/ folder, it is read as the table.
    #[command(after_help = AFTER_HELP)]
    Template {
        /// The folder to write into (made if missing; workbooks already there are kept).
        #[arg(default_value = "data-entry")]
        dir: PathBuf,
        /// The language of the headers and explanations: zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// Write the built-in theme into the site's themes/default/, to own and change
    ///
    /// Files the site already has there are kept. Any one of them may be kept alone: the
    /// built-in theme gives the rest.
    #[command(after_help = AFTER_HELP)]
    Eject {
        /// The site folder (holding site.toml).
        #[arg(long, default_value = ".")]
        site: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    // Guards clap's own consistency checks of the argument definitions.
    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
