"""POST /mfa/{id}/verify with the right code for the first N deliveries
the stdout transport printed (the server's stdout, JSON lines), on one
keep-alive connection, as the development project (for callgrind counts
beside load/issue_n.py: docs/PERFORMANCE.md).

    python3 load/verify_n.py PORT DELIVERIES_FILE N
"""
import http.client, base64, json, sys
port=int(sys.argv[1]); deliveries=sys.argv[2]; n=int(sys.argv[3])
auth='Basic '+base64.b64encode(b'dev-project:dev-token').decode()
pairs=[]
with open(deliveries) as f:
    for line in f:
        d=json.loads(line)
        pairs.append((d["id"], d["text"].rsplit(" ",1)[1]))
        if len(pairs)==n: break
c=http.client.HTTPConnection('127.0.0.1',port)
ok=0
for id_, code in pairs:
    c.request('POST','/api/relay/rest/mfa/%s/verify'%id_,json.dumps({"token":code}),{'Authorization':auth,'Content-Type':'application/json'})
    r=c.getresponse(); body=r.read(); ok+= r.status==200 and b'true' in body
print("verified",ok,"of",len(pairs))
