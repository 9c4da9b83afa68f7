import sys, datetime, random
out, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tom = (datetime.datetime.utcnow().date() + datetime.timedelta(days=1)).isoformat()
r = random.Random(7)
with open(out, "w") as f:
    f.write("web_order_id,partner,end_customer,offer,quantity,requested_start_date,contact_email,contact_name,locale\n")
    i = 0; o = 0
    while i < n:
        o += 1
        size = 1000 if mode == "k" else r.randint(1, 1000)
        size = min(size, n - i)
        for j in range(size):
            f.write(f"B{o},Partner,Kund AB {o},A-FLEX,1,{tom},c{i}@B{o}.customer.example,Kim,sv\n")
            i += 1
