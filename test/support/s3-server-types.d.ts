// Types for s3rver 3.7 (it ships none): the in-process S3-compatible server the S3 connector tests run against.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  import type { Server } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    /** A PEM key and certificate make it serve HTTPS. */
    key?: Buffer | string;
    cert?: Buffer | string;
    resetOnClose?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Starts listening; resolves to the bound address. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    httpServer: Server;
  }

  export default S3rver;
}
