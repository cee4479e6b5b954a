package conformance

import (
	"net"
	"strings"
	"testing"

	"github.com/openevents/openevents/event/binding"
)

// referenceConfig returns the Config of the child run called name
// against ref, or false when name is not a reference run of this file.
// What it starts stops with t.
func referenceConfig(t *testing.T, name string, ref *Reference) (Config, bool) {
	var cfg Config
	switch name {
	case "reference":
		cfg.HTTP = &HTTPTarget{URL: ref.URL}
		cfg.GRPC = &GRPCTarget{Addr: ref.GRPCAddr}
		cfg.MQTT = &MQTTTarget{Broker: ref.MQTTBroker, Topic: ref.MQTTTopic + "/cases", Role: RoleEcho}
		cfg.Sender = &SenderTarget{Send: ReferenceSend}
	case "reference-roles":
		cfg.GRPC = &GRPCTarget{Addr: ref.GRPCAddr}
		cfg.MQTT = &MQTTTarget{Broker: ref.MQTTBroker, Topic: "conformance/relay"}
		cfg.Sender = &SenderTarget{SendGRPC: ReferenceSendGRPC, Binding: BindingGRPC}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.HTTPRelay = &HTTPRelayTarget{HTTPTarget: HTTPTarget{URL: startForward(t, "http://"+ln.Addr().String()+"/")}, Listener: ln}
	case "reference-mqtt-sender":
		cfg.MQTT = &MQTTTarget{Broker: ref.MQTTBroker, Topic: "conformance/sent", Role: RoleSender}
		cfg.Sender = &SenderTarget{SendMQTT: mqttSend("conformance/sent")}
	case "reference-mqtt-fixed":
		cfg.MQTT, _ = mqttProvider(t, ref.MQTTBroker, "conformance/fixed", mqttFault{name: "none"}, true)
	case "reference-mode-change":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		relay := startHTTPRelay(t, "http://"+ln.Addr().String()+"/", binding.ModeStructured, nil, nil)
		cfg.HTTPRelay = &HTTPRelayTarget{HTTPTarget: HTTPTarget{URL: relay}, Listener: ln}
		cfg.MQTT, _ = mqttProvider(t, ref.MQTTBroker, "conformance/structured", mqttFault{name: "none", structured: true}, false)
	case "reference-query-token":
		cfg.HTTP = &HTTPTarget{URL: ref.URL}
		cfg.Sender = &SenderTarget{Send: webhookSender{token: "query"}.send}
	default:
		return cfg, false
	}
	return cfg, true
}

// isReferenceRun reports whether name is started by referenceConfig.
func isReferenceRun(name string) bool {
	return name == "reference" || (strings.HasPrefix(name, "reference-") && name != "reference-structured" && name != "reference-no-batches")
}
