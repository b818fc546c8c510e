// SECRET: credentials in free text (API tokens, private keys, passwords in URLs and assignments), found by the
// secret scanner of src/secrets/scan and reported as PII matches so the scan step can redact them like any other.
import type { Detector, PiiMatch } from '../detector.ts';
import { scanSecrets } from '../../../secrets/scan/scan.ts';

export const secretDetector: Detector = {
  type: 'SECRET',
  detect(text: string): PiiMatch[] {
    return scanSecrets(text).map(({ start, end, confidence }) => ({ type: 'SECRET', start, end, confidence }));
  },
};
