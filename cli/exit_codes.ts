/** The command succeeded (also `--help`). */
export const EXIT_OK = 0;
/** The command failed at run time. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown flag or subcommand, missing argument, bad option value. */
export const EXIT_USAGE = 2;
/** The control API could not be reached: nothing answered at the address tried. */
export const EXIT_UNREACHABLE = 3;
/** The configuration is invalid (sysexits.h `EX_CONFIG`). */
export const EXIT_CONFIG = 78;
/**
 * `serve` could not start because the system refused: the queue directory cannot be written, a
 * listen port is taken (sysexits.h `EX_IOERR`).
 */
export const EXIT_IOERR = 74;
/**
 * `serve` was stopped by a second SIGINT or SIGTERM, without waiting for the grace period
 * (128 + SIGINT, as shells report an interrupted command).
 */
export const EXIT_FORCED = 130;
