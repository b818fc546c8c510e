// The contract fields of the sample customers (src/cli/sample-customers.ts), as YAML lines under `fields:`,
// shared by the benchmark pipelines.
export const CUSTOMER_FIELDS = `    customer_id:    { type: string, class: internal }
    full_name:      { type: string, class: confidential, pii: person_name }
    email:          { type: string, class: restricted, pii: email }
    phone:          { type: string, class: confidential, pii: phone, nullable: true }
    card_number:    { type: string, class: restricted, pii: payment_card }
    country:        { type: string, class: public }
    signup_date:    { type: date, class: internal }
    lifetime_value: { type: number, class: internal }
`;

/**
 * The end-to-end benchmark pipeline (contract, scan of the notes, tokenize, mask, the encrypted file sink), over
 * data/customers.jsonl with notes: the end-to-end and cluster suites run the same one.
 */
export function endToEndSpec(pipeline: string): string {
  return `pipeline: ${pipeline}
source:
  file: { path: data/customers.jsonl }
contract:
  subject: customer_id
  fields:
${CUSTOMER_FIELDS}    notes:          { type: string, class: confidential }
steps:
  - scan: { fields: [notes], residual: internal }
  - tokenize: { fields: [email] }
  - mask: { fields: [card_number], keepLast: 4 }
  - mask: { fields: [full_name, phone] }
sinks:
  - file: { dir: out, clearance: internal }
`;
}
