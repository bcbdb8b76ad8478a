// An error in how the command was used (a session that does not exist, options that do not go
// together): printed as one line, exit status 2.
export class UsageError extends Error {
  override name = 'UsageError';
}
