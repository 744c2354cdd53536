/**
 * Session recording and audit: asciicast v2 recordings written as the session runs, replay with
 * timing, and one JSON line of audit per session. Files are created with mode 0600. Nothing here
 * touches the terminal; callers hand in streams and paths.
 *
 * @example
 * ```ts ignore
 * import { AsciicastWriter, AuditLog, openPrivateFile, replayAsciicast } from "./mod.ts";
 * const file = await openPrivateFile("s.cast", "truncate", "recording");
 * const cast = await AsciicastWriter.start(file.writable, { width: 80, height: 24 });
 * ```
 *
 * @module
 */
export * from "./asciicast.ts";
export * from "./audit.ts";
export * from "./files.ts";
export * from "./replay.ts";
