// Servers that speak just enough of the PostgreSQL wire protocol (docs: "Frontend/Backend Protocol") to test what
// the shared server cannot show: a TLS front with a certificate of our choosing in front of the real server, and
// a server that asks for a password and refuses it. Named as doubles; everything else is tested against the real one.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { LOCAL_POSTGRES } from './postgres-scratch.ts';

/** The SSLRequest code (protocol section 55.2.10): 1234 in the high 16 bits, 5679 in the low 16. */
const SSL_REQUEST_CODE = 80877103;

export interface WireDouble {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<WireDouble> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads a socket in exact lengths, keeping what arrives beyond each read for the next. */
class ByteReader {
  #buffered = Buffer.alloc(0);
  #waiting: { length: number; resolve: (bytes: Buffer) => void } | undefined;
  readonly #socket: Socket;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
  }

  read(length: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#waiting = { length, resolve };
      this.#deliver();
    });
  }

  /** Stops reading: later bytes flow to whoever takes the socket over (the TLS layer). */
  detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.pause();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#buffered = Buffer.concat([this.#buffered, chunk]);
    this.#deliver();
  };

  #deliver(): void {
    const waiting = this.#waiting;
    if (!waiting || this.#buffered.length < waiting.length) return;
    this.#waiting = undefined;
    const bytes = this.#buffered.subarray(0, waiting.length);
    this.#buffered = this.#buffered.subarray(waiting.length);
    waiting.resolve(bytes);
  }
}

export interface TlsFrontOptions {
  key: Buffer;
  cert: Buffer;
  /** What to answer the SSLRequest: S (go on with TLS, the default) or N (no TLS here). */
  answer?: 'S' | 'N';
}

/**
 * A TLS front for the local server: answers the client's SSLRequest with S, completes the TLS handshake with
 * `cert`, then relays the decrypted stream to 127.0.0.1:5432 as a plain connection. Handshake failures (a
 * client that refuses the certificate) are counted, not thrown.
 */
export async function postgresTlsFront(options: TlsFrontOptions): Promise<WireDouble & { handshakes: { ok: number; failed: number } }> {
  const handshakes = { ok: 0, failed: 0 };
  const context = createSecureContext({ key: options.key, cert: options.cert });
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    const reader = new ByteReader(socket);
    void reader.read(8).then((head) => {
      // The client sends nothing more until it has the answer, so nothing is left in the reader.
      reader.detach();
      if (head.readInt32BE(0) !== 8 || head.readInt32BE(4) !== SSL_REQUEST_CODE) return socket.destroy();
      socket.write(options.answer ?? 'S');
      if (options.answer === 'N') return socket.end();
      const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
      secure.on('error', () => {
        handshakes.failed++;
        secure.destroy();
      });
      secure.once('secure', () => {
        handshakes.ok++;
        const upstream = connect({ host: LOCAL_POSTGRES.host, port: LOCAL_POSTGRES.port });
        upstream.on('error', () => secure.destroy());
        secure.on('close', () => upstream.destroy());
        upstream.on('close', () => secure.destroy());
        secure.pipe(upstream).pipe(secure);
      });
    }, () => socket.destroy());
  });
  return { ...(await listen(server)), handshakes };
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/**
 * A server that asks every client for a cleartext password (AuthenticationCleartextPassword), records what it
 * was sent, and refuses it with SQLSTATE 28P01 as PostgreSQL does.
 */
export async function passwordRefusingServer(): Promise<WireDouble & { passwords: string[] }> {
  const passwords: string[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    const reader = new ByteReader(socket);
    void (async () => {
      // StartupMessage: its length, then the protocol version and parameters, which this double ignores.
      await reader.read((await reader.read(4)).readInt32BE(0) - 4);
      const authRequest = Buffer.alloc(4);
      authRequest.writeInt32BE(3);
      socket.write(message('R', authRequest));
      // PasswordMessage: 'p', its length, the password and a NUL.
      const body = await reader.read((await reader.read(5)).readInt32BE(1) - 4);
      passwords.push(body.subarray(0, body.indexOf(0)).toString('utf8'));
      const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "sluice"'].map((f) => Buffer.from(`${f}\0`, 'utf8'));
      socket.end(message('E', Buffer.concat([...fields, Buffer.from([0])])));
    })().catch(() => socket.destroy());
  });
  return { ...(await listen(server)), passwords };
}
