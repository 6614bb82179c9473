"""`solarb` subcommands, one module each, registered in `solarb_runtime.cli.COMMAND_MODULES`."""
