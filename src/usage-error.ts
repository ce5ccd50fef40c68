// An error in how vmalint was invoked (bad path, unknown rule, bad option). The CLI prints its
// message without a stack trace and exits with status 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
