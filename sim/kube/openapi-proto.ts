/**
 * `/openapi/v2` in protobuf, the only form client-go's discovery asks for
 * (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`; kubectl's client-side
 * validation reads it, e.g. for `kubectl apply -f` of a `kind: List`, which kubectl never leaves to the
 * server). The message is gnostic's `openapi.v2.Document`; field numbers from google/gnostic
 * `openapiv2/OpenAPIv2.proto` (Document: swagger 1, info 2, paths 8, definitions 9; Schema: _ref 1,
 * format 2, title 3, description 4, default 5, maximum 7, minimum 9, max_length 11, min_length 12,
 * pattern 13, required 19, enum 20, additional_properties 21, type 22, items 23, properties 25,
 * vendor_extension 31; `Any` values as YAML text, field 2). Encoded by protobufjs.
 */
import protobuf from 'protobufjs';
import { stringify } from 'yaml';

const PROTO = `
syntax = "proto3";
package openapi.v2;
message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message Info { string title = 1; string version = 2; }
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message NamedSchema { string name = 1; Schema value = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message Definitions { repeated NamedSchema additional_properties = 1; }
message Paths { repeated NamedAny vendor_extension = 1; }
message Schema {
  string _ref = 1; string format = 2; string title = 3; string description = 4; Any default = 5;
  double maximum = 7; double minimum = 9; int64 max_length = 11; int64 min_length = 12; string pattern = 13;
  repeated string required = 19; repeated Any enum = 20; AdditionalPropertiesItem additional_properties = 21;
  TypeItem type = 22; ItemsItem items = 23; Properties properties = 25; repeated NamedAny vendor_extension = 31;
}
message Document { string swagger = 1; Info info = 2; Paths paths = 8; Definitions definitions = 9; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const Document = root.lookupType('openapi.v2.Document');

/** The media type kube-apiserver answers `/openapi/v2` with when asked for protobuf (`…spec.v2@v1.0+protobuf` in the Accept). */
export const OPENAPI_V2_PROTO = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

type Json = Record<string, unknown>;
const any = (v: unknown) => ({ yaml: stringify(v).trimEnd() });

function schema(s: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'type' && typeof v === 'string') out.type = { value: [v] };
    else if (k === 'format' || k === 'title' || k === 'description' || k === 'pattern') out[k] = v;
    else if (k === '$ref') out._ref = v;
    else if (k === 'maximum' || k === 'minimum') out[k] = v;
    else if (k === 'maxLength') out.max_length = v;
    else if (k === 'minLength') out.min_length = v;
    else if (k === 'required') out.required = v;
    else if (k === 'enum' && Array.isArray(v)) out.enum = v.map(any);
    else if (k === 'default') out.default = any(v);
    else if (k === 'items' && v && typeof v === 'object') out.items = { schema: [schema(v as Json)] };
    else if (k === 'properties' && v && typeof v === 'object') out.properties = { additional_properties: Object.entries(v as Record<string, Json>).map(([name, value]) => ({ name, value: schema(value) })) };
    else if (k === 'additionalProperties') out.additional_properties = typeof v === 'boolean' ? { boolean: v } : { schema: schema(v as Json) };
    else if (k.startsWith('x-')) (out.vendor_extension ??= [] as unknown[]) && (out.vendor_extension as unknown[]).push({ name: k, value: any(v) });
  }
  return out;
}

/** Encode a Swagger 2.0 document (openapi.ts `openApiV2`) as gnostic's protobuf `Document`. */
export function encodeOpenApiV2(doc: { swagger: string; info: { title: string; version: string }; definitions: Record<string, Json> }): Buffer {
  const msg = {
    swagger: doc.swagger,
    info: doc.info,
    paths: {},
    definitions: { additional_properties: Object.entries(doc.definitions).map(([name, value]) => ({ name, value: schema(value) })) },
  };
  const err = Document.verify(msg);
  if (err) throw new Error(`openapi v2 protobuf: ${err}`);
  return Buffer.from(Document.encode(Document.fromObject(msg)).finish());
}
