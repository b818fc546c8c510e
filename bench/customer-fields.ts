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
