/** Bad input from a client: the message says what is wrong; the HTTP layer answers it with a 4xx. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly status = 400
  ) {
    super(message);
    this.name = 'FormatError';
  }
}
