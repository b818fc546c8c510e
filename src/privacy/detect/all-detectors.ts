// Every built-in detector, in PII_TYPES order. `sluice detect`, the scan step and `sluice scan` take them from here.
import type { Detector, PiiType } from './detector.ts';
import { emailDetector } from './detectors/email.ts';
import { phoneDetector } from './detectors/phone.ts';
import { creditCardDetector } from './detectors/credit-card.ts';
import { usSsnDetector } from './detectors/us-ssn.ts';
import { ibanDetector } from './detectors/iban.ts';
import { ipAddressDetector } from './detectors/ip-address.ts';
import { macAddressDetector } from './detectors/mac-address.ts';
import { urlDetector } from './detectors/url.ts';
import { cryptoDetector } from './detectors/crypto.ts';
import { dateOfBirthDetector } from './detectors/date-of-birth.ts';
import { personDetector } from './detectors/person.ts';
import { secretDetector } from './detectors/secret.ts';

export const ALL_DETECTORS: readonly Detector[] = [
  emailDetector,
  phoneDetector,
  creditCardDetector,
  usSsnDetector,
  ibanDetector,
  ipAddressDetector,
  macAddressDetector,
  urlDetector,
  cryptoDetector,
  dateOfBirthDetector,
  personDetector,
  secretDetector,
];

/** The detectors for `types` (all when none are given). */
export function detectorsFor(types?: readonly PiiType[]): Detector[] {
  return types === undefined || types.length === 0 ? [...ALL_DETECTORS] : ALL_DETECTORS.filter((d) => types.includes(d.type));
}
