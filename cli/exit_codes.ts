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
