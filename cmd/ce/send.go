package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

const sendLong = `Send builds one CloudEvent from flags, or reads it from a JSON file, and
sends it over exactly one binding:

  --http URL            HTTP POST (binary, structured or batch mode)
  --grpc ADDR           gRPC Publish on the OpenEvents EventService
  --mqtt URL --topic T  MQTT PUBLISH (5.0 binary/structured, 3.1.1 structured)

The event is validated before it is sent; an invalid event is not sent and
its violations are printed with their requirement IDs. Without --id a random
id is generated, and without --time none is set.

TLS: an https:// URL, or an ssl://, tls:// or mqtts:// broker URL, is sent
over TLS, checked against the system's trusted roots; a gRPC address has no
scheme, so give --tls. --tls-ca FILE trusts the PEM CA certificates in FILE
instead of the system roots (and implies --tls), --tls-cert FILE with
--tls-key FILE presents a client certificate (mutual TLS), and
--tls-server-name NAME checks the server's certificate for NAME instead of
the URL's host. TLS flags with a plaintext URL (http://, tcp://, mqtt://)
are a usage error, not a silent upgrade. The minimum version is TLS 1.2.

Exit status: 0 when the receiver accepted the event (HTTP 2xx, gRPC OK,
MQTT PUBACK success), 1 when it refused or could not be reached, 2 on a
usage error.`

// sendOptions are the flags of ce send.
type sendOptions struct {
	file            string
	id              string
	source          string
	typ             string
	subject         string
	dataContentType string
	dataSchema      string
	timeNow         bool
	data            string
	dataFile        string
	extensions      []string
	mode            string
	timeout         time.Duration

	httpURL  string
	grpcAddr string
	mqttURL  string
	topic    string
	mqttVer  int
	qos      int

	tls tlsFlags
}

func newSendCommand(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send (--http URL | --grpc ADDR | --mqtt URL --topic T) [flags]",
		Short: "Send one CloudEvent over HTTP, gRPC or MQTT",
		Long:  sendLong,
		Example: `  ce send --http http://127.0.0.1:8080/ --type com.example.ping --source /cli --data '{"n":1}'
  ce send --http http://127.0.0.1:8080/ --mode structured --file event.json
  ce send --grpc 127.0.0.1:9090 --file event.json
  ce send --mqtt tcp://127.0.0.1:1883 --topic sensors --file event.json
  ce send --http https://events.example.com/ --tls-ca ca.pem --file event.json
  ce send --grpc 127.0.0.1:9443 --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem --file event.json
  ce send --mqtt mqtts://broker.example.com:8883 --topic sensors --file event.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			targets := 0
			for _, s := range []string{o.httpURL, o.grpcAddr, o.mqttURL} {
				if s != "" {
					targets++
				}
			}
			if targets != 1 {
				return usageError(errors.New("give exactly one of --http, --grpc, --mqtt"))
			}
			mode, err := binding.ParseMode(o.mode)
			if err != nil {
				return usageError(err)
			}
			tc, err := o.tlsConfig()
			if err != nil {
				return usageError(err)
			}
			e, err := o.buildEvent(stdin)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			switch {
			case o.httpURL != "":
				return sendHTTP(ctx, stdout, &o, mode, e, tc)
			case o.grpcAddr != "":
				return sendGRPC(ctx, stdout, &o, mode, e, tc)
			default:
				return sendMQTT(ctx, stdout, &o, mode, e, tc)
			}
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "read the event from a JSON file (\"-\" for standard input); attribute flags then override its attributes")
	f.StringVar(&o.id, "id", "", "id attribute (default: a random UUID)")
	f.StringVar(&o.source, "source", "", "source attribute (a URI-reference)")
	f.StringVar(&o.typ, "type", "", "type attribute")
	f.StringVar(&o.subject, "subject", "", "subject attribute")
	f.StringVar(&o.dataContentType, "datacontenttype", "", "datacontenttype attribute (default application/json when --data is given)")
	f.StringVar(&o.dataSchema, "dataschema", "", "dataschema attribute (an absolute URI)")
	f.BoolVar(&o.timeNow, "time-now", false, "set the time attribute to the current time")
	f.StringVar(&o.data, "data", "", "event data, as text (a JSON value when the content type is JSON)")
	f.StringVar(&o.dataFile, "data-file", "", "read the event data from a file, as binary data")
	f.StringArrayVar(&o.extensions, "ext", nil, "extension attribute NAME=VALUE (repeatable); VALUE is a string, or use NAME:int=5 / NAME:bool=true")
	f.StringVar(&o.mode, "mode", "binary", "content mode: binary, structured or batch")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up after this long")
	f.StringVar(&o.httpURL, "http", "", "send with HTTP POST to this URL")
	f.StringVar(&o.grpcAddr, "grpc", "", "send with gRPC to this host:port")
	f.StringVar(&o.mqttURL, "mqtt", "", "send with MQTT to this broker URL (tcp://host:port, or ssl://host:port for TLS)")
	f.StringVar(&o.topic, "topic", "", "MQTT topic to publish to")
	f.IntVar(&o.mqttVer, "mqtt-version", 5, "MQTT protocol version: 5 or 3 (3.1.1, structured mode only)")
	f.IntVar(&o.qos, "qos", 1, "MQTT QoS: 0, 1 or 2")
	o.tls.addClientFlags(cmd)
	return cmd
}

// tlsConfig returns the TLS configuration of the chosen binding, or nil
// for plaintext.
func (o *sendOptions) tlsConfig() (*tls.Config, error) {
	switch {
	case o.httpURL != "":
		return o.tls.httpClient(o.httpURL)
	case o.grpcAddr != "":
		return o.tls.grpcClient()
	default:
		return o.tls.mqttClient(o.mqttURL)
	}
}

// buildEvent assembles the event from --file and the attribute flags and
// validates it.
func (o *sendOptions) buildEvent(stdin io.Reader) (*event.Event, error) {
	e := new(event.Event)
	if o.file != "" {
		b, err := readInput(o.file, stdin)
		if err != nil {
			return nil, usageError(err)
		}
		if err := jsonformat.Decode(b, e); err != nil {
			return nil, failure(fmt.Errorf("%s: %w", o.file, err))
		}
	} else {
		e.SetSpecVersion(event.SpecVersion)
	}
	set := func(v string, f func(string)) {
		if v != "" {
			f(v)
		}
	}
	set(o.id, e.SetID)
	set(o.source, e.SetSource)
	set(o.typ, e.SetType)
	set(o.subject, e.SetSubject)
	set(o.dataContentType, e.SetDataContentType)
	set(o.dataSchema, e.SetDataSchema)
	if !e.Has(event.AttrID) {
		e.SetID(newUUID())
	}
	if o.timeNow {
		e.SetTime(time.Now().UTC().Format(time.RFC3339Nano))
	}
	for _, kv := range o.extensions {
		name, v, err := parseExtension(kv)
		if err != nil {
			return nil, usageError(err)
		}
		e.SetExtension(name, v)
	}
	switch {
	case o.data != "" && o.dataFile != "":
		return nil, usageError(errors.New("give --data or --data-file, not both"))
	case o.data != "":
		if !e.Has(event.AttrDataContentType) {
			e.SetDataContentType("application/json")
		}
		e.SetData([]byte(o.data))
	case o.dataFile != "":
		b, err := os.ReadFile(o.dataFile)
		if err != nil {
			return nil, usageError(err)
		}
		e.SetBinaryData(b)
	}
	if err := e.Validate(); err != nil {
		return nil, failure(fmt.Errorf("the event is not valid, not sending it: %w", err))
	}
	return e, nil
}

// parseExtension reads NAME=VALUE, NAME:int=VALUE or NAME:bool=VALUE.
func parseExtension(kv string) (string, event.Value, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return "", event.Value{}, fmt.Errorf("--ext %q: want NAME=VALUE", kv)
	}
	name, kind, _ := strings.Cut(k, ":")
	switch kind {
	case "", "string":
		return name, event.String(v), nil
	case "int":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return "", event.Value{}, fmt.Errorf("--ext %q: %q is not a 32-bit integer (CORE-TYPE-INTEGER-1)", kv, v)
		}
		return name, event.Integer(int32(n)), nil
	case "bool":
		switch v {
		case "true", "false":
			return name, event.Boolean(v == "true"), nil
		}
		return "", event.Value{}, fmt.Errorf("--ext %q: a Boolean is true or false (CORE-TYPE-BOOLEAN-1)", kv)
	}
	return "", event.Value{}, fmt.Errorf("--ext %q: unknown type %q (want string, int or bool)", kv, kind)
}
