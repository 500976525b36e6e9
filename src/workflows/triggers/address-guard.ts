import dns from 'node:dns';
import net from 'node:net';

/**
 * Keeps HttpPoll triggers away from link-local addresses and cloud metadata endpoints, where a
 * workflow author could read the machine's cloud credentials (SSRF). Loopback and private
 * networks stay reachable: polling a service on the same machine or network is what the trigger
 * is for, and tests and local development poll 127.0.0.1.
 *
 * The check runs on the addresses DNS answered, inside the socket's own lookup, so the address
 * checked is the address connected to: a host name (or a DNS answer that changes between two
 * lookups) cannot lead somewhere refused.
 */
const REFUSED = new net.BlockList();
REFUSED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local; 169.254.169.254 is AWS, Azure, GCP and OCI metadata
REFUSED.addSubnet('fe80::', 10, 'ipv6'); // link-local
REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
REFUSED.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6'); // 169.254.0.0/16 through NAT64

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

const normalHost = (host: string): string => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
const family = (address: string): 'ipv4' | 'ipv6' => (net.isIPv4(address) ? 'ipv4' : 'ipv6');

export class PollAddressRefused extends Error {
  readonly code = 'EPOLLADDRESSREFUSED';
}

export class AddressGuard {
  private readonly allowed = new net.BlockList();
  private readonly allowedNames = new Set<string>();

  /** `allow`: CIDR blocks, addresses or host names to let through anyway (SMTPFLOW_HTTP_POLL_ALLOW). */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const [address, bits] = entry.split('/');
      if (net.isIP(normalHost(address)) === 0) this.allowedNames.add(normalHost(entry));
      else if (bits === undefined) this.allowed.addAddress(normalHost(address), family(normalHost(address)));
      else this.allowed.addSubnet(normalHost(address), Number(bits), family(normalHost(address)));
    }
  }

  /** Throws PollAddressRefused when `host` (a name or an address literal) may not be polled. */
  checkHost(host: string): void {
    const name = normalHost(host);
    if (net.isIP(name)) this.checkAddress(name, name);
    else if (METADATA_NAMES.has(name) && !this.allowedNames.has(name)) throw refused(name, 'a cloud metadata endpoint', undefined);
  }

  /** A `lookup` for http.request: resolves as usual, then refuses when any answer is refused. */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      try {
        for (const a of addresses) this.checkAddress(a.address, hostname);
      } catch (refusal) {
        return callback(refusal as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private checkAddress(address: string, host: string): void {
    const type = family(address);
    if (REFUSED.check(address, type) && !this.allowed.check(address, type) && !this.allowedNames.has(normalHost(host))) {
      throw refused(host, 'a link-local or cloud metadata address', address === host ? undefined : address);
    }
  }
}

function refused(host: string, what: string, address: string | undefined): PollAddressRefused {
  const shown = address ? `${host} (${address})` : host;
  return new PollAddressRefused(
    `HttpPoll refused to connect to ${shown}: it is ${what}, where a poll could read this machine's cloud credentials. If the endpoint is really meant, allow it with SMTPFLOW_HTTP_POLL_ALLOW=${address && net.isIP(address) ? `${address}/${net.isIPv4(address) ? 32 : 128}` : host}.`,
  );
}
