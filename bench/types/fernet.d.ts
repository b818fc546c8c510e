// The few parts of the npm fernet package (no types of its own) the benchmarks use.
declare module 'fernet' {
  export class Secret {
    constructor(base64Url: string);
  }
  export class Token {
    constructor(options: { secret: Secret; ttl?: number });
    encode(message: string): string;
  }
}
